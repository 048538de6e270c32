"""Space selector: pick a space (only existing ones), create one, and delete one after a confirmation that says
what will be lost."""
from __future__ import annotations

import contextlib

import gradio as gr

from rag import RagService, SpaceError, SpaceExists, SpaceNotFound
from webapp.ui.safe_text import md_literal


def space_names(service: RagService) -> list[str]:
    return [s.name for s in service.list_spaces()]


def deletion_warning(service: RagService, space: str) -> str:
    try:
        docs = service.documents(space)
    except SpaceNotFound:
        return f"Space **{md_literal(space)}** no longer exists."
    chunks = sum(d.chunks for d in docs)
    return (f"Delete space **{md_literal(space)}** with its {len(docs)} document(s) ({chunks} chunks)? "
            f"The documents and their index are removed for everyone; this cannot be undone.")


def build_spaces(service: RagService):
    """Render the space controls; returns the dropdown that every other panel reads."""
    with gr.Row(equal_height=True):
        names = space_names(service)
        selector = gr.Dropdown(choices=names, value=names[0] if names else None, label="Space", scale=4,
                               allow_custom_value=False, filterable=True, elem_id="space-selector")
        new_name = gr.Textbox(label="New space", placeholder="e.g. Legal, Project X", scale=3,
                              elem_id="new-space-name")
        create = gr.Button("Create space", scale=1, elem_id="create-space")
    notice = gr.Markdown(elem_id="space-notice")
    with gr.Accordion("Manage this space", open=False, elem_id="manage-space"):
        ask_delete = gr.Button("Delete this space…", variant="secondary", size="sm", elem_id="delete-space")
        with gr.Group(visible=False, elem_id="confirm-delete-space") as confirm:
            warning = gr.Markdown(elem_id="delete-space-warning")
            with gr.Row():
                really = gr.Button("Yes, delete the space", variant="stop", size="sm",
                                   elem_id="confirm-delete-space-yes")
                cancel = gr.Button("Cancel", size="sm", elem_id="confirm-delete-space-no")

    def on_create(name: str):
        try:
            info = service.create_space(name)
        except SpaceExists:
            shown = (name or "").strip()
            return gr.update(choices=space_names(service), value=shown), "", \
                f"A space named **{md_literal(shown)}** already exists: it is selected now."
        except SpaceError as err:
            return gr.update(), gr.update(), f"⚠️ {md_literal(str(err))}"
        return gr.update(choices=space_names(service), value=info.name), "", \
            f"Space **{md_literal(info.name)}** is created. Add documents on the Documents tab."

    def on_ask_delete(space: str | None):
        if not space:
            return gr.update(visible=False), "", "Pick a space first."
        return gr.update(visible=True), deletion_warning(service, space), ""

    def on_delete(space: str | None):
        if space:
            with contextlib.suppress(SpaceNotFound):  # deleted meanwhile: the list below shows it gone
                service.delete_space(space)
        names = space_names(service)
        note = f"Deleted space **{md_literal(space or '')}**." if space else ""
        return gr.update(choices=names, value=names[0] if names else None), gr.update(visible=False), note

    create.click(on_create, [new_name], [selector, new_name, notice], api_name="create_space")
    new_name.submit(on_create, [new_name], [selector, new_name, notice], api_visibility="private")
    ask_delete.click(on_ask_delete, [selector], [confirm, warning, notice], api_visibility="private")
    really.click(on_delete, [selector], [selector, confirm, notice], api_visibility="private")  # REST deletes
    cancel.click(lambda: gr.update(visible=False), None, [confirm], api_visibility="private")
    selector.change(lambda _: gr.update(visible=False), [selector], [confirm], api_visibility="private")
    return selector
