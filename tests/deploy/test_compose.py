"""compose.yaml checked by a real Compose implementation (Debian's docker-compose: `config`; there is no Docker
engine here to run it): every profile validates, every image is pinned, vLLM's flags come from
config/vllm_flags.py, GPUs are reserved, healthchecks gate the app's start, the LLM and the GPU embedder split one
card, the A/B run serves on 8000 and 9000 and the replicas profile balances over two vLLM instances."""
from __future__ import annotations

import shutil
import subprocess

import pytest
import yaml

from config.vllm_flags import read_env_file
from tests.support.paths import ROOT

COMPOSE = shutil.which("docker-compose")
pytestmark = pytest.mark.skipif(COMPOSE is None, reason="Debian docker-compose is not installed (make test "
                                                         "installs it)")
PROFILES = ("vllm", "ollama", "ab", "replicas")


def rendered(profile: str) -> dict:
    done = subprocess.run([COMPOSE, "--profile", profile, "config"], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env={"PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    return yaml.safe_load(done.stdout)


@pytest.mark.parametrize("profile", PROFILES)
def test_every_profile_validates_with_pinned_images_and_gated_starts(profile):
    services = rendered(profile)["services"]
    for name, service in services.items():
        if "image" in service and "build" not in service:
            image = service["image"]
            assert ":" in image and not image.endswith((":latest", ":main")), (name, image)
        assert service.get("healthcheck", {}).get("test"), f"{name} has no healthcheck"
    apps = {n: s for n, s in services.items() if n.startswith("app")}
    assert apps, profile
    for name, app in apps.items():
        for dependency, how in app.get("depends_on", {}).items():
            assert how["condition"] == "service_healthy", (name, dependency)
            assert dependency in services


def test_vllm_takes_its_flags_from_the_guides_variables_with_gpus_cache_and_a_long_start():
    services = rendered("vllm")["services"]
    for name in ("vllm", "embedder"):
        vllm = services[name]
        assert vllm["entrypoint"] == ["python3", "/opt/quadrate/vllm_flags.py", "--exec"]
        mounts = [str(v.get("source", "")) + ":" + str(v.get("target", "")) if isinstance(v, dict) else v
                  for v in vllm["volumes"]]
        assert any("config/vllm_flags.py:/opt/quadrate/vllm_flags.py" in m for m in mounts), mounts
        assert any("huggingface" in m for m in mounts)
        assert vllm["ipc"] == "host" and "HUGGING_FACE_HUB_TOKEN" in vllm["environment"]
        assert vllm["deploy"]["resources"]["reservations"]["devices"][0]["capabilities"] == ["gpu"]
        start = vllm["healthcheck"]["start_period"]           # rendered as 30m
        assert int(start.rstrip("ms")) * (60 if start.endswith("m") else 1) >= 600, start
    assert services["vllm"]["environment"]["VLLM_MODEL"].startswith("meta-llama/")       # from the model file
    app = services["app"]["environment"]
    assert app["LLM_BASE_URL"] == "http://vllm:8001/v1" and app["EMBED_BASE_URL"] == "http://embedder:8002/v1"
    assert app["QDRANT_URL"] == "http://qdrant:6333" and app["AUTH"] == "local"


def test_the_llm_and_the_embedder_share_one_card_within_its_memory():
    llm = read_env_file(ROOT / "deploy" / "models" / "llama-3.1-8b.env")
    embedder = read_env_file(ROOT / "deploy" / "models" / "embedder-bge-m3.env")
    total = float(llm["VLLM_GPU_MEMORY_UTILIZATION"]) + float(embedder["VLLM_GPU_MEMORY_UTILIZATION"])
    assert total <= 0.92, total
    assert embedder["VLLM_RUNNER"] == "pooling" and embedder["EMBED_BASE_URL"].endswith(":8002/v1")


def test_ab_serves_both_stacks_and_replicas_balance_over_two_gpus():
    ab = rendered("ab")["services"]
    ports = {name: [p["published"] for p in s.get("ports", [])] for name, s in ab.items()}
    assert 8000 in [int(p) for p in ports["app"]] and 9000 in [int(p) for p in ports["app-ollama"]]
    replicas = rendered("replicas")["services"]
    assert replicas["app-replicas"]["environment"]["LLM_BASE_URL"].split(",") == [
        "http://vllm-a:8001/v1", "http://vllm-b:8001/v1"]
    gpus = [replicas[n]["deploy"]["resources"]["reservations"]["devices"][0]["device_ids"] for n in ("vllm-a",
                                                                                                   "vllm-b")]
    assert gpus == [["0"], ["1"]]


def test_the_reserved_gpus_match_tensor_times_pipeline_parallel():
    """compose cannot multiply: VLLM_GPUS (default 1) must equal TP x PP of the model file in use; every shipped
    file is a one-card configuration, and a two-card one needs VLLM_GPUS=2 (the operator's guide says so)."""
    from config.vllm_flags import gpus

    vllm = rendered("vllm")["services"]["vllm"]
    count = int(vllm["deploy"]["resources"]["reservations"]["devices"][0]["count"])
    for path in sorted((ROOT / "deploy" / "models").glob("*.env")):
        assert gpus(read_env_file(path)) == count == 1, path.name
