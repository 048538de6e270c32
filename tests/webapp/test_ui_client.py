"""The Gradio UI driven through gradio_client: upload, then a streamed chat."""
from gradio_client import Client, handle_file

from tests.conftest import PROTOCOLS


def test_upload_then_streamed_chat(app_server):
    client = Client(f"{app_server}/", verbose=False)
    client.predict("ui-space", api_name="/create_space")
    paths = [str(PROTOCOLS / "protocol_001_audit_committee_meeting.txt"), str(PROTOCOLS / "protocol_004_board_meeting.txt")]
    results, summary, docs = client.predict([handle_file(p) for p in paths], "ui-space", api_name="/upload")
    assert [row[1] for row in results["data"]] == ["ok", "ok"]
    assert "2 indexed" in summary and len(docs["data"]) == 2

    job = client.submit("Сколько критических уязвимостей выявил аудит?", [], "ui-space", 2, {}, api_name="/chat")
    updates = list(job)
    history, sources, _, saved = job.result()
    assert len(updates) >= 4, "the chat should stream several updates"
    answer = history[-1]["content"][0]["text"]
    assert "Источники:" in answer and "protocol_001_audit_committee_meeting.txt" in answer
    assert "protocol_001_audit_committee_meeting.txt" in sources
    assert saved["ui-space"][-1]["role"] == "assistant"  # history is kept in the browser state
