"""The vLLM flags we generate (config/vllm_flags.py) from the guide's VLLM_* variables: every model file in
deploy/models/, every profile in config/profiles/ and the defaults go through vLLM's own argument parser (`vllm
serve`'s, from the vLLM CPU venv) and come out as the values we meant; bad values are refused with the variable's
name; GPUs = TP x PP."""
from __future__ import annotations

import json
import subprocess

import pytest

from config.vllm_flags import FlagError, flags, gpus, read_env_file
from tests.support.paths import ROOT
from tests.support.vllm import VLLM_PYTHON

MODEL_FILES = sorted((ROOT / "deploy" / "models").glob("*.env")) + sorted((ROOT / "config" / "profiles").glob("*.env"))
PARSE = """
import json, sys
from vllm.entrypoints.launchers.cli_args import make_arg_parser
from vllm.utils.argparse_utils import FlexibleArgumentParser
parser = make_arg_parser(FlexibleArgumentParser())
for argv in json.loads(sys.stdin.read()):
    ns = parser.parse_args(argv)
    print(json.dumps({k: ns.__dict__.get(k) for k in (
        "model", "served_model_name", "gpu_memory_utilization", "max_model_len", "tensor_parallel_size",
        "pipeline_parallel_size", "max_num_seqs", "quantization", "speculative_config", "runner",
        "enable_prefix_caching", "port", "tokenizer_mode")}, default=str))
"""


def vllm_parse(argvs: list[list[str]]) -> list[dict]:
    """What vLLM's own parser makes of each argument list (it exits non-zero on a flag it does not accept)."""
    if not VLLM_PYTHON.exists():
        pytest.fail(f"vLLM venv missing at {VLLM_PYTHON}: run `make vllm-env` (make test does)")
    done = subprocess.run([str(VLLM_PYTHON), "-c", PARSE], input=json.dumps(argvs), capture_output=True,
                          text=True, timeout=600, env={"PATH": "/usr/bin:/bin", "VLLM_TARGET_DEVICE": "cpu"})
    assert done.returncode == 0, done.stderr[-3000:]
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def test_every_model_file_and_the_defaults_are_accepted_by_vllm():
    assert {f.name for f in MODEL_FILES} >= {"llama-3.1-8b.env", "mistral-7b.env", "mixtral-8x7b-fp8.env",
                                              "qwen2.5-72b-awq.env", "llama-3.1-70b-fp8.env", "embedder-bge-m3.env",
                                              "vllm.env", "local.env", "ollama.env"}   # and the app's profiles
    envs = [read_env_file(f) for f in MODEL_FILES] + [{}]
    parsed = vllm_parse([flags(env) for env in envs])
    assert len(parsed) == len(envs)
    for env, ns in zip(envs, parsed, strict=True):
        assert ns["model"] == env.get("VLLM_MODEL", "meta-llama/Llama-3.1-8B-Instruct")
        assert float(ns["gpu_memory_utilization"]) == float(env.get("VLLM_GPU_MEMORY_UTILIZATION", "0.90"))
        assert int(ns["max_model_len"]) == int(env.get("VLLM_MAX_MODEL_LEN", "8192"))
        assert ns["tensor_parallel_size"] * ns["pipeline_parallel_size"] == gpus(env)
        if env.get("VLLM_RUNNER") == "pooling":
            assert ns["runner"] == "pooling"
            continue
        assert ns["enable_prefix_caching"] is True
        assert (ns["quantization"] or "") == env.get("VLLM_QUANTIZATION", "")
        spec = env.get("VLLM_SPECULATIVE_MODEL", "")
        if spec:
            config = ns["speculative_config"] if isinstance(ns["speculative_config"], dict) else \
                json.loads(ns["speculative_config"].replace("'", '"'))
            assert config.get("model", config.get("method")) == spec
        else:
            assert ns["speculative_config"] in (None, "None")


def test_the_guides_knobs_reach_vllm():
    env = {"VLLM_MODEL": "org/model", "VLLM_TENSOR_PARALLEL_SIZE": "2", "VLLM_PIPELINE_PARALLEL_SIZE": "2",
           "VLLM_MAX_NUM_SEQS": "64", "VLLM_QUANTIZATION": "awq", "VLLM_SPECULATIVE_MODEL": "org/draft",
           "VLLM_NUM_SPECULATIVE_TOKENS": "3", "VLLM_PREFIX_CACHING": "0", "VLLM_EXTRA_ARGS": "--seed 7"}
    ns = vllm_parse([flags(env)])[0]
    assert gpus(env) == 4 and ns["tensor_parallel_size"] == 2 and ns["pipeline_parallel_size"] == 2
    assert ns["max_num_seqs"] == 64 and ns["quantization"] == "awq" and ns["enable_prefix_caching"] is False
    assert "org/draft" in str(ns["speculative_config"]) and "3" in str(ns["speculative_config"])


@pytest.mark.parametrize("var,value", [("VLLM_GPU_MEMORY_UTILIZATION", "1.5"), ("VLLM_MAX_MODEL_LEN", "many"),
                                       ("VLLM_QUANTIZATION", "int3"), ("VLLM_TENSOR_PARALLEL_SIZE", "0"),
                                       ("VLLM_RUNNER", "embed")])
def test_a_bad_value_names_its_variable(var, value):
    with pytest.raises(FlagError, match=var):
        flags({var: value})


def test_the_cli_prints_flags_and_gpus():
    run = subprocess.run(["python3", str(ROOT / "config" / "vllm_flags.py"), "--env-file",
                          str(ROOT / "deploy" / "models" / "qwen2.5-72b-awq.env")], capture_output=True, text=True)
    assert run.returncode == 0 and "--quantization awq_marlin" in run.stdout and "--speculative-config" in run.stdout
    bad = subprocess.run(["python3", str(ROOT / "config" / "vllm_flags.py"), "--gpus"], capture_output=True,
                         text=True, env={"VLLM_TENSOR_PARALLEL_SIZE": "x", "PATH": "/usr/bin:/bin"})
    assert bad.returncode == 2 and "VLLM_TENSOR_PARALLEL_SIZE" in bad.stderr
