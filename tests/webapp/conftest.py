"""Real app servers (uvicorn in a thread) around real services: Qdrant on a temp dir, the packaged embedder, and
the session's llama.cpp server, or a scripted endpoint where a test injects faults or hostile answers; and a real
browser (Debian's Chromium driven by Playwright)."""
import pytest

from tests.support.browser import CHROMIUM, CHROMIUM_FLAGS
from tests.support.fault_llm import MODEL
from tests.support.services import start_app


@pytest.fixture(scope="module")
def app_server(tmp_path_factory, llama_server):
    service, server = start_app(tmp_path_factory.mktemp("app"), llm_base_url=llama_server.base_url,
                                llm_model=llama_server.alias, llm_max_tokens=48,
                                llm_chars_per_token=llama_server.chars_per_token, top_k=3)
    with server as base:
        yield base
    service.close()


@pytest.fixture(scope="module")
def stub_app(tmp_path_factory, fault_llm):
    """The app over the scripted endpoint: answers are instant and scripted, retrieval and the UI are real."""
    service, server = start_app(tmp_path_factory.mktemp("stub-app"), llm_base_url=fault_llm.base_url,
                                llm_model=MODEL, top_k=3)
    with server as base:
        yield base, service, fault_llm
    service.close()


@pytest.fixture(scope="module")
def access_world(tmp_path_factory, fault_llm):
    """AUTH=local over the scripted endpoint with the organisation of tests.support.access: (base URL, service,
    world, app)."""
    from app import create_app
    from config.settings import load_settings
    from rag import build_service
    from tests.support.access import make_world
    from tests.support.servers import free_port, serve

    tmp = tmp_path_factory.mktemp("routes")
    settings = load_settings(env_file=None, qdrant_path=str(tmp / "qdrant"), qdrant_url="", auth="local",
                             llm_base_url=fault_llm.base_url, llm_model=MODEL, top_k=3, share_questions_per_min=1000)
    service = build_service(settings)
    world = make_world(service)
    app = create_app(settings, service)
    with serve(app, port=free_port()) as base:
        yield base, service, world, app
    service.close()


@pytest.fixture(scope="session")
def chromium():
    if CHROMIUM is None:
        pytest.skip("Debian chromium is not installed (make test installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium, tmp_path, request):
    """A fresh browser context (its own local storage) and page; a screenshot is left in the test's temp dir."""
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    yield page
    try:
        page.screenshot(path=str(tmp_path / f"{request.node.name[:60]}.png"), full_page=True)
    finally:
        context.close()
