"""The Kubernetes manifests in deploy/k8s/ (no cluster here): every resource validates against the Kubernetes 1.37
schemas offline and strictly (kubernetes-validate); the app has probes on /health, resources and an HPA on CPU;
vLLM and the embedder request GPUs, run the generated flags module from a ConfigMap that is current, and wait
long enough for a first download; the indexing Job is Indexed with one --shard per pod; Qdrant is a 3-node
cluster through its Helm chart's values, and the app asks for shards and replicas."""
from __future__ import annotations

import kubernetes_validate
import pytest
import yaml

from config.vllm_flags import configmap
from tests.support.paths import ROOT

K8S = ROOT / "deploy" / "k8s"
MANIFESTS = ("app.yaml", "vllm.yaml", "embedder.yaml", "index-job.yaml", "vllm-flags-configmap.yaml")


def resources() -> dict[tuple[str, str], dict]:
    found = {}
    for name in MANIFESTS:
        for doc in yaml.safe_load_all((K8S / name).read_text(encoding="utf-8")):
            found[(doc["kind"], doc["metadata"]["name"])] = doc
    return found


@pytest.mark.parametrize("name", MANIFESTS)
def test_every_resource_is_valid_kubernetes(name):
    for doc in yaml.safe_load_all((K8S / name).read_text(encoding="utf-8")):
        kubernetes_validate.validate(doc, "1.37.0", strict=True)


def _container(doc: dict) -> dict:
    return doc["spec"]["template"]["spec"]["containers"][0]


def test_the_app_is_probed_sized_and_autoscaled():
    found = resources()
    app = _container(found[("Deployment", "quadrate-app")])
    for probe in ("readinessProbe", "livenessProbe"):
        assert app[probe]["httpGet"]["path"] == "/health", probe
    assert app["livenessProbe"]["failureThreshold"] * app["livenessProbe"]["periodSeconds"] >= 300
    assert {"cpu", "memory"} <= set(app["resources"]["requests"]) and "memory" in app["resources"]["limits"]
    hpa = found[("HorizontalPodAutoscaler", "quadrate-app")]["spec"]
    assert hpa["scaleTargetRef"]["name"] == "quadrate-app" and hpa["minReplicas"] >= 2
    assert hpa["metrics"][0]["resource"]["name"] == "cpu"
    config = found[("ConfigMap", "quadrate-app")]["data"]
    assert config["QDRANT_URL"].startswith("http://") and int(config["QDRANT_SHARDS"]) >= 2
    assert int(config["QDRANT_REPLICAS"]) >= 2 and config["AUTH"] != "off"


@pytest.mark.parametrize("name", ["vllm", "embedder"])
def test_the_gpu_services_run_the_generated_flags_on_a_gpu(name):
    found = resources()
    container = _container(found[("Deployment", name)])
    assert container["command"] == ["python3", "/opt/quadrate/vllm_flags.py", "--exec"]
    assert container["image"].startswith("vllm/vllm-openai:v")
    assert container["resources"]["limits"]["nvidia.com/gpu"] == container["resources"]["requests"]["nvidia.com/gpu"]
    startup = container["startupProbe"]
    assert startup["httpGet"]["path"] == "/health" and startup["periodSeconds"] * startup["failureThreshold"] >= 1800
    assert container["readinessProbe"]["httpGet"]["path"] == "/health"
    volumes = found[("Deployment", name)]["spec"]["template"]["spec"]["volumes"]
    assert {"configMap": {"name": "quadrate-vllm-flags"}, "name": "flags"} in volumes
    assert any("persistentVolumeClaim" in v for v in volumes)
    model = found[("ConfigMap", f"{name}-model")]["data"]
    tp, pp = int(model.get("VLLM_TENSOR_PARALLEL_SIZE", 1)), int(model.get("VLLM_PIPELINE_PARALLEL_SIZE", 1))
    assert int(container["resources"]["limits"]["nvidia.com/gpu"]) == tp * pp


def test_the_flags_configmap_is_the_current_module():
    assert (K8S / "vllm-flags-configmap.yaml").read_text(encoding="utf-8") == configmap(), \
        "run `make k8s-configmap`"


def test_bulk_indexing_is_an_indexed_job_with_one_shard_per_pod():
    job = resources()[("Job", "quadrate-index")]["spec"]
    assert job["completionMode"] == "Indexed" and job["completions"] == job["parallelism"]
    command = _container({"spec": job})["command"]
    assert command[:4] == ["python", "-m", "rag.cli", "index"]
    assert command[command.index("--shard") + 1] == f"$(JOB_COMPLETION_INDEX)/{job['completions']}"


def test_qdrant_is_a_three_node_cluster_and_kustomize_lists_everything():
    values = yaml.safe_load((K8S / "qdrant-values.yaml").read_text(encoding="utf-8"))
    assert values["replicaCount"] == 3 and values["config"]["cluster"]["enabled"] is True
    assert values["image"]["tag"] == "v1.20.0"
    listed = yaml.safe_load((K8S / "kustomization.yaml").read_text(encoding="utf-8"))["resources"]
    assert sorted(listed) == sorted(MANIFESTS)


def test_the_validator_refuses_a_broken_manifest():
    broken = yaml.safe_load((K8S / "app.yaml").read_text(encoding="utf-8").split("---")[1])
    broken["spec"]["replicas"] = "two"
    broken["spec"]["template"]["spec"]["containers"][0]["probes"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, "1.37.0", strict=True)
