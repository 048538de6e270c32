"""The Gradio Blocks UI: the account bar, spaces, chat (with the sources and the source viewer), documents,
sharing and keys, and status panels, one module each; labels in Russian and English by the browser's locale
(webapp/ui/i18n.py). Every handler checks the caller's right first (webapp/ui/rights.py); the controls a role does
not allow are hidden for the current space."""
from __future__ import annotations

from html import escape

import gradio as gr

from rag import RagService, supported_suffixes
from webapp.auth.guard import Guard
from webapp.ui import threads
from webapp.ui.access_panel import build_access_panel
from webapp.ui.chat import build_chat, restore
from webapp.ui.documents import DOC_COLUMNS, RESULT_COLUMNS, build_documents, document_rows
from webapp.ui.i18n import I18N, say, t, table, ui_language
from webapp.ui.page_script import CSS, HEAD
from webapp.ui.rights import Controls, caller, rights, visible_spaces
from webapp.ui.spaces import build_spaces
from webapp.ui.status import build_status
from webapp.ui.viewer import placeholder_html

__all__ = ["CSS", "HEAD", "I18N", "build_ui"]

TITLE = "Quadrate Chat"
DEFAULT_SPACE = "demo"


TAB_RIGHTS = {"documents": "documents_tab", "access": "share_chat", "status": "status_tab"}


def account_html(lang: str, who, space: str | None, shown: dict[str, bool]) -> str:
    """The bar above the page: who is signed in and a sign-out button, or a shared demo's banner; its data-hide
    names the tabs to hide (the stylesheet hides them)."""
    hide = " ".join(tab for tab, control in TAB_RIGHTS.items() if not shown[control])
    button = '<form method="post" action="logout" class="qc-inline"><button id="sign-out" class="qc-link">{}</button>' \
             "</form>"
    text = ""
    if who.share_id:
        text = _md_bold(say(lang, "visitor_banner", space=escape(space or ""))) + button.format(say(lang, "leave_demo"))
    elif not who.local and not who.key_id:
        text = _md_bold(say(lang, "signed_in_as", user=escape(who.user))) + button.format(say(lang, "sign_out"))
    return f'<div id="account-bar" data-hide="{hide}">{text}</div>'


def _md_bold(text: str) -> str:
    parts = text.split("**")
    return "".join(f"<b>{p}</b>" if i % 2 else p for i, p in enumerate(parts))


def build_ui(service: RagService, guard: Guard) -> gr.Blocks:
    controls = Controls()
    # uploads leave Gradio's cache when their ingest ends (webapp/ui/documents.py); this sweeps what a client
    # uploaded to Gradio's route and never ingested: hourly, files older than a day
    with gr.Blocks(title=TITLE, delete_cache=(3600, 86400)) as demo:
        account = gr.HTML("", elem_id="account")
        gr.Markdown(f"# {TITLE}", elem_id="title")
        gr.Markdown(t("intro"), elem_id="intro")
        selector = build_spaces(service, guard, controls)
        with gr.Tabs():
            with gr.Tab(t("tab_chat"), id="chat"):
                chatbot, sources, state, only, viewer = build_chat(service, guard, selector, controls)
            with gr.Tab(t("tab_documents"), id="documents"):
                docs, chosen, supported, results = build_documents(service, guard, selector, controls)
            with gr.Tab(t("tab_access"), id="access"):
                build_access_panel(service, guard, selector, controls)
            with gr.Tab(t("tab_status"), id="status") as status_tab:
                report, report_outputs = build_status(service, guard)

        status_tab.select(report, None, report_outputs, api_visibility="private")

        def files_of(space: str | None, request: gr.Request):
            return gr.update(choices=[r[0] for r in document_rows(service, guard, request, space)], value=[])

        docs.change(files_of, [selector], [only], api_visibility="private", show_progress="hidden")

        def on_space(space: str | None, request: gr.Request):
            who = caller(guard, request)
            shown = rights(guard, who, space)
            return account_html(ui_language(request), who, space, shown), *controls.updates(shown)

        selector.change(on_space, [selector], [account, *controls.components], api_visibility="private",
                        show_progress="hidden")

        def on_load(saved, request: gr.Request):
            """Open the space named in the URL (?space=), else the last one used, else the first of the caller's."""
            lang, who = ui_language(request), caller(guard, request)
            names = visible_spaces(service, guard, who)
            if not names and who.local:
                service.create_space(DEFAULT_SPACE)
                names = visible_spaces(service, guard, who)
            requested = request.query_params.get("space") if request is not None else None
            space = threads.pick_space(names, requested, saved)
            history, panel = restore(space, saved)
            rows = document_rows(service, guard, request, space)
            shown = rights(guard, who, space)
            return (gr.update(choices=names, value=space), history, panel, table(lang, DOC_COLUMNS, rows),
                    gr.update(choices=[r[0] for r in rows], value=[]), threads.remember_space(saved, space),
                    gr.update(choices=[r[0] for r in rows], value=[]), placeholder_html(lang),
                    say(lang, "supported", types=" ".join(supported_suffixes())), table(lang, RESULT_COLUMNS, []),
                    account_html(lang, who, space, shown), *controls.updates(shown))

        demo.load(on_load, [state], [selector, chatbot, sources, docs, chosen, state, only, viewer, supported, results,
                                     account, *controls.components], api_visibility="private")
    return demo
