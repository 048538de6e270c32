"""Space selector: pick a space, create one, delete one."""
from __future__ import annotations

import gradio as gr

from rag.service import RagService
from rag.store import SpaceError


def space_names(service: RagService) -> list[str]:
    return [s.name for s in service.list_spaces()]


def build_spaces(service: RagService, default_space: str = "demo"):
    """Render the space controls; returns the dropdown that every other panel reads."""
    with gr.Row(equal_height=True):
        names = space_names(service)
        selector = gr.Dropdown(choices=names, value=names[0] if names else None, label="Space", scale=3,
                               allow_custom_value=True, elem_id="space-selector")
        new_name = gr.Textbox(label="New space", placeholder="e.g. Legal, Project X", scale=2,
                              elem_id="new-space-name")
        create = gr.Button("Create space", scale=1, elem_id="create-space")
        delete = gr.Button("Delete space", variant="stop", scale=1, elem_id="delete-space")
    notice = gr.Markdown(elem_id="space-notice")

    def on_create(name: str):
        try:
            info = service.create_space(name)
        except SpaceError as err:
            return gr.update(), gr.update(), f"⚠️ {err}"
        return gr.update(choices=space_names(service), value=info.name), "", f"Space **{info.name}** is ready."

    def on_delete(name: str | None):
        if not name:
            return gr.update(), "Pick a space first."
        service.delete_space(name)
        names = space_names(service)
        return gr.update(choices=names, value=names[0] if names else None), f"Deleted space **{name}**."

    def on_load():
        names = space_names(service)
        if not names:
            service.create_space(default_space)
            names = space_names(service)
        return gr.update(choices=names, value=names[0])

    create.click(on_create, [new_name], [selector, new_name, notice], api_name="create_space")
    new_name.submit(on_create, [new_name], [selector, new_name, notice], api_name=False)
    delete.click(on_delete, [selector], [selector, notice], api_name="delete_space")
    return selector, on_load
