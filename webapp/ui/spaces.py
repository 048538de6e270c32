"""Space selector: pick a space (only those the user may see), create one (its creator owns it), rename it, and
delete it after a confirmation that says what will be lost (its owners)."""
from __future__ import annotations

import contextlib

import gradio as gr

from rag import InvalidSpaceName, RagService, SpaceError, SpaceExists, SpaceNotFound
from webapp.auth.guard import Guard
from webapp.ui.i18n import say, t, ui_language
from webapp.ui.rights import Controls, caller, permitted, visible_spaces
from webapp.ui.safe_text import md_literal


def space_selector(**kwargs) -> gr.Dropdown:
    """The space dropdown. Its choices are each user's own spaces, set when their page loads (never every space,
    in the page's config), so an API client's fresh session has none: this component takes any name (a session's
    updated copy checks its own choices), and every handler checks the caller's right to the space named. The
    browser still offers only the listed choices. (A subclass would make gradio write a .pyi into the source.)"""
    selector = gr.Dropdown(**kwargs)
    selector.preprocess = lambda payload: payload     # type: ignore[method-assign]
    return selector


def deletion_warning(service: RagService, space: str, lang: str = "en") -> str:
    try:
        docs = service.documents(space)
    except SpaceNotFound:
        return say(lang, "space_gone", name=md_literal(space))
    return say(lang, "confirm_delete_space", name=md_literal(space), docs=len(docs),
               chunks=sum(d.chunks for d in docs))


def _problem(err: SpaceError, lang: str) -> str:
    return say(lang, "bad_name") if isinstance(err, InvalidSpaceName) else f"⚠️ {md_literal(str(err))}"


def build_spaces(service: RagService, guard: Guard, controls: Controls):
    """Render the space controls; returns the dropdown that every other panel reads (filled per user on load)."""
    with gr.Row(equal_height=True):
        selector = space_selector(choices=[], value=None, label=t("space"), scale=4, allow_custom_value=False,
                                  filterable=True, elem_id="space-selector")
        new_name = gr.Textbox(label=t("new_space"), placeholder=t("new_space_placeholder"), scale=3,
                              elem_id="new-space-name", max_length=64)
        create = gr.Button(t("create_space"), scale=1, elem_id="create-space")
    notice = gr.Markdown(elem_id="space-notice")
    with gr.Accordion(t("manage_space"), open=False, elem_id="manage-space") as manage:
        with gr.Row(equal_height=True):
            rename_to = gr.Textbox(label=t("rename_to"), scale=3, elem_id="rename-space-name", max_length=64)
            rename = gr.Button(t("rename"), scale=1, elem_id="rename-space")
        ask_delete = gr.Button(t("delete_space"), variant="secondary", size="sm", elem_id="delete-space")
        with gr.Group(visible=False, elem_id="confirm-delete-space") as confirm:
            warning = gr.Markdown(elem_id="delete-space-warning")
            with gr.Row():
                really = gr.Button(t("delete_space_yes"), variant="stop", size="sm",
                                   elem_id="confirm-delete-space-yes")
                cancel = gr.Button(t("cancel"), size="sm", elem_id="confirm-delete-space-no")

    def on_create(name: str, request: gr.Request):
        lang, who = ui_language(request), caller(guard, request)
        if not guard.access.may_create_spaces(who):
            raise gr.Error(say(lang, "not_allowed"))
        try:
            info = service.create_space(name)
        except SpaceExists:
            shown = (name or "").strip()
            names = visible_spaces(service, guard, who)
            return gr.update(choices=names, value=shown if shown in names else gr.skip()), "", \
                say(lang, "space_exists", name=md_literal(shown))
        except SpaceError as err:
            return gr.update(), gr.update(), _problem(err, lang)
        guard.access.space_created(who, info.name)
        return gr.update(choices=visible_spaces(service, guard, who), value=info.name), "", \
            say(lang, "space_created", name=md_literal(info.name))

    def on_rename(space: str | None, name: str, request: gr.Request):
        lang = ui_language(request)
        if not space:
            return gr.update(), gr.update(), say(lang, "pick_space")
        who = permitted(guard, request, space, "rename_space")
        try:
            info = service.rename_space(space, name)
        except SpaceError as err:
            return gr.update(), gr.update(), _problem(err, lang)
        return gr.update(choices=visible_spaces(service, guard, who), value=info.name), "", \
            say(lang, "space_renamed", old=md_literal(space), new=md_literal(info.name))

    def on_ask_delete(space: str | None, request: gr.Request):
        lang = ui_language(request)
        if not space:
            return gr.update(visible=False), "", say(lang, "pick_space")
        permitted(guard, request, space, "delete_space")
        return gr.update(visible=True), deletion_warning(service, space, lang), ""

    def on_delete(space: str | None, request: gr.Request):
        who = caller(guard, request)
        if space:
            permitted(guard, request, space, "delete_space")
            with contextlib.suppress(SpaceNotFound):  # deleted meanwhile: the list below shows it gone
                service.delete_space(space)
                guard.access.record(who, "delete_space", space, True)
        names = visible_spaces(service, guard, who)
        note = say(ui_language(request), "space_deleted", name=md_literal(space)) if space else ""
        return gr.update(choices=names, value=names[0] if names else None), gr.update(visible=False), note

    create.click(on_create, [new_name], [selector, new_name, notice], api_name="create_space")
    new_name.submit(on_create, [new_name], [selector, new_name, notice], api_visibility="private")
    rename.click(on_rename, [selector, rename_to], [selector, rename_to, notice], api_visibility="private")
    rename_to.submit(on_rename, [selector, rename_to], [selector, rename_to, notice], api_visibility="private")
    ask_delete.click(on_ask_delete, [selector], [confirm, warning, notice], api_visibility="private")
    really.click(on_delete, [selector], [selector, confirm, notice], api_visibility="private")  # REST deletes
    cancel.click(lambda: gr.update(visible=False), None, [confirm], api_visibility="private")
    selector.change(lambda _: gr.update(visible=False), [selector], [confirm], api_visibility="private")
    controls.add("create_space", new_name, create)
    controls.add("manage_space", manage)
    return selector
