"""`python -m rag.eval`: the evaluation harness (rag/eval/harness.py)."""
import sys

from rag.eval.harness import main

sys.exit(main())
