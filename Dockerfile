# Quadrate Chat's app image (CPU: the LLM and, with the vllm profile, the embedder are vLLM services). Two stages:
# the builder compiles llama.cpp (llama-cpp-python) and every wheel; the runtime installs those wheels only, with
# no compiler, runs as an unprivileged user, has tesseract (rus+eng) for OCR and the packaged models baked in, so
# it starts offline. Built and run by compose.yaml; linted by hadolint in `make lint`.
# Debian packages are pinned to bookworm's versions (the base images' Debian).

FROM python:3.11.7-slim-bookworm AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential=12.9 cmake=3.25.1-1 \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /build
COPY requirements.txt requirements-models.txt constraints.txt ./
RUN pip wheel --wheel-dir /wheels -r requirements.txt -c constraints.txt \
    && pip wheel --wheel-dir /wheels --no-deps -r requirements-models.txt

FROM python:3.11.7-slim-bookworm AS runtime
ENV PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 GRADIO_ANALYTICS_ENABLED=False \
    HF_HUB_OFFLINE=1 HOST=0.0.0.0 PORT=8000 DATA_DIR=/data
RUN apt-get update \
    && apt-get install -y --no-install-recommends tesseract-ocr=5.3.0-2 tesseract-ocr-rus=1:4.1.0-2 \
        tesseract-ocr-eng=1:4.1.0-2 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --uid 10001 --create-home --shell /usr/sbin/nologin quadrate \
    && mkdir -p /data && chown quadrate:quadrate /data
WORKDIR /app
COPY requirements.txt requirements-models.txt constraints.txt ./
RUN --mount=type=bind,from=builder,source=/wheels,target=/wheels \
    pip install --no-index --find-links /wheels -r requirements.txt -c constraints.txt \
    && pip install --no-index --find-links /wheels --no-deps -r requirements-models.txt
COPY app.py ./
COPY config ./config
COPY rag ./rag
COPY webapp ./webapp
USER 10001:10001
VOLUME /data
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=10s --start-period=120s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=5)"]
CMD ["python", "app.py"]
