"""vLLM's `vllm serve` flags, generated from the founding guide's VLLM_* variables. One small module, standard
library only, so it runs anywhere it is needed: compose mounts it into the vllm container as its entrypoint
(`python3 /opt/quadrate/vllm_flags.py --exec`), Kubernetes does the same from a ConfigMap, and the tests hand
every generated flag to vLLM's own argument parser.

    VLLM_MODEL                    --model (a hub id, or a local path in the model cache)
    VLLM_SERVED_MODEL_NAME        --served-model-name (what LLM_MODEL names; default: the model id)
    VLLM_GPU_MEMORY_UTILIZATION   --gpu-memory-utilization (share of the card this instance may take)
    VLLM_MAX_MODEL_LEN            --max-model-len
    VLLM_TENSOR_PARALLEL_SIZE     --tensor-parallel-size  (GPUs reserved = TP x PP)
    VLLM_PIPELINE_PARALLEL_SIZE   --pipeline-parallel-size
    VLLM_MAX_NUM_SEQS             --max-num-seqs
    VLLM_QUANTIZATION             --quantization (awq, fp8, gptq, awq_marlin; empty: as the checkpoint says)
    VLLM_SPECULATIVE_MODEL        --speculative-config {"model": ..., "num_speculative_tokens": N}
                                  ("ngram": prompt-lookup decoding, no draft model)
    VLLM_NUM_SPECULATIVE_TOKENS   N above (5)
    VLLM_RUNNER                   --runner (generate; pooling for an embedding model on /v1/embeddings)
    VLLM_PREFIX_CACHING           --enable-prefix-caching (on) / --no-enable-prefix-caching (0)
    VLLM_HOST, VLLM_PORT          --host, --port (0.0.0.0, 8001)
    VLLM_EXTRA_ARGS               appended as they are (shell-split), for anything else

HUGGING_FACE_HUB_TOKEN is read by vLLM from the environment, never put on a command line.

    python3 config/vllm_flags.py --env-file deploy/models/llama-3.1-8b.env           # print the flags
    python3 config/vllm_flags.py --gpus                                               # GPUs to reserve
"""
from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from collections.abc import Mapping
from pathlib import Path

DEFAULTS = {
    "VLLM_MODEL": "meta-llama/Llama-3.1-8B-Instruct", "VLLM_SERVED_MODEL_NAME": "",
    "VLLM_GPU_MEMORY_UTILIZATION": "0.90", "VLLM_MAX_MODEL_LEN": "8192", "VLLM_TENSOR_PARALLEL_SIZE": "1",
    "VLLM_PIPELINE_PARALLEL_SIZE": "1", "VLLM_MAX_NUM_SEQS": "256", "VLLM_QUANTIZATION": "",
    "VLLM_SPECULATIVE_MODEL": "", "VLLM_NUM_SPECULATIVE_TOKENS": "5", "VLLM_RUNNER": "generate",
    "VLLM_PREFIX_CACHING": "1", "VLLM_HOST": "0.0.0.0", "VLLM_PORT": "8001", "VLLM_EXTRA_ARGS": "",
}
QUANTIZATIONS = ("", "awq", "awq_marlin", "fp8", "gptq", "gptq_marlin", "compressed-tensors", "bitsandbytes")


class FlagError(ValueError):
    """A VLLM_* variable with a value vLLM would refuse; the message names the variable."""


def read_env_file(path: str | os.PathLike) -> dict[str, str]:
    """KEY=VALUE lines (comments, blanks and `export ` ignored; quotes around a value removed)."""
    values = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        line = line.strip().removeprefix("export ").strip()
        if line and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip().strip("'\"")
    return values


def _number(env: Mapping[str, str], var: str, kind: type, low: float, high: float) -> int | float:
    try:
        value = kind(env[var])
    except ValueError:
        raise FlagError(f"{var} must be a {kind.__name__}, got {env[var]!r}") from None
    if not low <= value <= high:
        raise FlagError(f"{var} must be between {low} and {high}, got {value}")
    return value


def settings(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The VLLM_* values: `env` (the process environment by default) over the defaults; empty means default."""
    env = os.environ if env is None else env
    return {var: (env.get(var) or default) for var, default in DEFAULTS.items()}


def gpus(env: Mapping[str, str] | None = None) -> int:
    """GPUs one instance needs: tensor x pipeline parallel size."""
    values = settings(env)
    return int(_number(values, "VLLM_TENSOR_PARALLEL_SIZE", int, 1, 64)) * \
        int(_number(values, "VLLM_PIPELINE_PARALLEL_SIZE", int, 1, 64))


def flags(env: Mapping[str, str] | None = None) -> list[str]:
    """The `vllm serve` arguments for these variables (FlagError when one is out of range)."""
    v = settings(env)
    out = ["--model", v["VLLM_MODEL"], "--host", v["VLLM_HOST"],
           "--port", str(_number(v, "VLLM_PORT", int, 1, 65535)),
           "--gpu-memory-utilization", str(_number(v, "VLLM_GPU_MEMORY_UTILIZATION", float, 0.05, 1.0)),
           "--max-model-len", str(_number(v, "VLLM_MAX_MODEL_LEN", int, 256, 10_000_000)),
           "--tensor-parallel-size", str(_number(v, "VLLM_TENSOR_PARALLEL_SIZE", int, 1, 64)),
           "--pipeline-parallel-size", str(_number(v, "VLLM_PIPELINE_PARALLEL_SIZE", int, 1, 64))]
    if v["VLLM_SERVED_MODEL_NAME"]:
        out += ["--served-model-name", v["VLLM_SERVED_MODEL_NAME"]]
    if v["VLLM_RUNNER"] not in ("generate", "pooling"):
        raise FlagError(f"VLLM_RUNNER must be generate or pooling, got {v['VLLM_RUNNER']!r}")
    if v["VLLM_RUNNER"] == "pooling":
        out += ["--runner", "pooling"]
    else:       # generation only: batch size, quantisation, speculative decoding, prefix caching
        out += ["--max-num-seqs", str(_number(v, "VLLM_MAX_NUM_SEQS", int, 1, 65536))]
        if v["VLLM_QUANTIZATION"] not in QUANTIZATIONS:
            raise FlagError(f"VLLM_QUANTIZATION must be one of {', '.join(q for q in QUANTIZATIONS if q)} or "
                            f"empty, got {v['VLLM_QUANTIZATION']!r}")
        if v["VLLM_QUANTIZATION"]:
            out += ["--quantization", v["VLLM_QUANTIZATION"]]
        if v["VLLM_SPECULATIVE_MODEL"]:
            n = int(_number(v, "VLLM_NUM_SPECULATIVE_TOKENS", int, 1, 32))
            spec = ({"method": "ngram", "num_speculative_tokens": n, "prompt_lookup_max": 4}
                    if v["VLLM_SPECULATIVE_MODEL"] == "ngram" else
                    {"model": v["VLLM_SPECULATIVE_MODEL"], "num_speculative_tokens": n})
            out += ["--speculative-config", json.dumps(spec, separators=(",", ":"))]
        out += ["--enable-prefix-caching" if v["VLLM_PREFIX_CACHING"] not in ("0", "false", "off")
                else "--no-enable-prefix-caching"]
    return out + shlex.split(v["VLLM_EXTRA_ARGS"])


def configmap() -> str:
    """This module's source as a ConfigMap (mounted at /opt/quadrate in the vLLM pods)."""
    source = Path(__file__).read_text(encoding="utf-8")
    body = "".join(f"    {line}\n" if line else "\n" for line in source.splitlines())
    return ("# Generated by `make k8s-configmap` (python3 config/vllm_flags.py --configmap): do not edit.\n"
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: quadrate-vllm-flags\ndata:\n"
            f"  vllm_flags.py: |\n{body}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="vLLM flags from the VLLM_* variables")
    parser.add_argument("--env-file", action="append", default=[], help="read VLLM_* from here (the process "
                                                                         "environment wins)")
    what = parser.add_mutually_exclusive_group()
    what.add_argument("--exec", action="store_true", help="run `vllm serve` with the flags")
    what.add_argument("--gpus", action="store_true", help="print the GPUs one instance needs")
    what.add_argument("--configmap", action="store_true", help="print this module as the Kubernetes ConfigMap "
                                                                "deploy/k8s/vllm-flags-configmap.yaml")
    args = parser.parse_args(argv)
    if args.configmap:
        print(configmap(), end="")
        return 0
    env: dict[str, str] = {}
    for path in args.env_file:
        env.update(read_env_file(path))
    env.update({k: v for k, v in os.environ.items() if k.startswith("VLLM_") and v})
    try:
        generated = flags(env)
        if args.gpus:
            print(gpus(env))
            return 0
    except FlagError as err:
        print(f"vllm_flags: {err}", file=sys.stderr)
        return 2
    if args.exec:
        print("vllm serve " + shlex.join(generated), flush=True)
        os.execvp("vllm", ["vllm", "serve", *generated])
    print(shlex.join(generated))
    return 0


if __name__ == "__main__":
    sys.exit(main())
