"""The packaged models the tests run on."""
from __future__ import annotations

import os

TEST_LLM = os.environ.get("QC_TEST_LLM", "smollm2-135m")  # the fastest packaged chat model
