"""The Gradio UI driven through gradio_client: upload, then a streamed chat."""
from gradio_client import Client, handle_file

from tests.support.paths import PROTOCOLS


def test_upload_then_streamed_chat(app_server):
    client = Client(f"{app_server}/", verbose=False)
    client.predict("ui-space", api_name="/create_space")
    paths = [str(PROTOCOLS / "protocol_001_audit_committee_meeting.txt"),
             str(PROTOCOLS / "protocol_004_board_meeting.txt")]
    results, summary, docs = client.predict([handle_file(p) for p in paths], "ui-space", api_name="/upload")
    assert [row[1] for row in results["data"]] == ["ok", "ok"]
    assert "2 indexed" in summary and len(docs["data"]) == 2

    job = client.submit("Сколько критических уязвимостей выявил аудит?", [], "ui-space", 2, api_name="/chat")
    updates = list(job)
    history, sources, stored = job.result()   # the browser keeps the thread (a later step, not in the API)
    assert len(updates) >= 4, "the chat should stream several updates"
    answer = history[-1]["content"][0]["text"].replace("\\", "")   # file names are Markdown-escaped
    assert "Источники:" in answer and "protocol_001_audit_committee_meeting.txt" in answer
    assert "protocol_001_audit_committee_meeting.txt" in sources
    assert stored["items"][0]["file"] == "protocol_001_audit_committee_meeting.txt"   # the sources as data

    # deleting is not exposed through gradio's API (the REST API and the UI's confirmation do it)
    assert "/delete_document" not in client.view_api(print_info=False, return_format="dict")["named_endpoints"]


def test_chats_are_not_serialised(app_server):
    """With gradio's default concurrency limit of 1 the second chat would only start when the first ended: the
    two handlers' running times (first streamed update -> result) must overlap."""
    import threading
    import time

    client = Client(f"{app_server}/", verbose=False)
    client.predict("parallel", api_name="/create_space")
    client.predict([handle_file(str(PROTOCOLS / "protocol_007_hr_committee.txt"))], "parallel", api_name="/upload")
    spans: dict[str, list[float]] = {}

    def chat(name: str, question: str) -> None:
        job = client.submit(question, [], "parallel", 3, api_name="/chat")
        for _ in job:  # the first update is the handler echoing the question: it has started
            spans.setdefault(name, [time.monotonic()])
        job.result()
        spans[name].append(time.monotonic())

    threads = [threading.Thread(target=chat, args=("a", "Какая текучесть кадров за первый квартал?")),
               threading.Thread(target=chat, args=("b", "What is the staff turnover?"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    (a0, a1), (b0, b1) = spans["a"], spans["b"]
    overlap = min(a1, b1) - max(a0, b0)
    assert overlap > 0.5, f"the chats ran one after the other: {spans}"


def test_the_chat_refuses_an_over_long_question_without_calling_the_llm(app_server):
    client = Client(f"{app_server}/", verbose=False)
    client.predict("long", api_name="/create_space")
    history, *_ = client.predict("вопрос " * 2000, [], "long", 3, api_name="/chat")
    reply = history[-1]["content"][0]["text"]
    assert "Вопрос не отправлен" in reply and "MAX_QUESTION_CHARS" in reply
