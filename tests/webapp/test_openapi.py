"""The OpenAPI document at /openapi.json is valid OpenAPI 3 (openapi-spec-validator checks the whole of it) and
shows the real shapes: every route declares its request body and response models, and its error responses."""
import httpx
from openapi_spec_validator import validate

JSON_ROUTES_WITHOUT_MODEL = {("/metrics", "get"),          # Prometheus text, not JSON
                             ("/spaces/{name}/documents/{file_name}/original", "get")}   # the file's own bytes
ACTIONS_WITHOUT_BODY = {("/spaces/{name}/reindex", "post")}   # the path names all it needs


def test_the_openapi_document_is_valid_and_every_route_is_typed(stub_app):
    base, _, _ = stub_app
    spec = httpx.get(f"{base}/openapi.json", timeout=30).json()
    validate(spec)
    operations = [(path, method, op) for path, methods in spec["paths"].items() for method, op in methods.items()]
    assert {path for path, _, _ in operations} >= {
        "/health", "/ask", "/spaces", "/spaces/{name}", "/spaces/{name}/documents", "/ingest",
        "/spaces/{name}/documents/{file_name}", "/v1/models", "/v1/models/{model}", "/v1/chat/completions",
        "/metrics", "/spaces/{name}/documents/{file_name}/original", "/spaces/{name}/feedback"}
    for path, method, op in operations:
        ok = op["responses"].get("200") or op["responses"].get("201")
        assert ok, (path, method)
        if (path, method) not in JSON_ROUTES_WITHOUT_MODEL:
            schema = ok["content"]["application/json"]["schema"]
            assert schema.get("$ref") or schema.get("items", {}).get("$ref") or \
                schema.get("additionalProperties"), (path, method, schema)
        elif path.endswith("/original"):     # any type: the file's own, by its name
            assert ok["content"]["*/*"]["schema"]["format"] == "binary", ok
        if method in ("post", "patch", "put") and (path, method) not in ACTIONS_WITHOUT_BODY:
            assert op["requestBody"]["content"], (path, method)
        if path not in ("/health", "/metrics"):
            assert {"401", "403"} <= set(op["responses"]), (path, method)
    chat = spec["paths"]["/v1/chat/completions"]["post"]["responses"]
    assert {"400", "401", "404", "413", "502", "503"} <= set(chat) and "text/event-stream" in chat["200"]["content"]
    schemas = spec["components"]["schemas"]
    assert {"Answer", "Source", "ChatCompletion", "ErrorResponse", "HealthReport", "IngestResult"} <= set(schemas)
