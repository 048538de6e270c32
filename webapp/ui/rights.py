"""The UI's side of the permission model: who a Gradio event comes from (the `username` the access gate set, made a
principal again, fresh from the registry), the check each handler makes before it acts (a refusal is a clear
message, never a half-done action), and which controls the user's role shows for the current space (hidden ones
are refused by the server all the same)."""
from __future__ import annotations

from dataclasses import dataclass, field

import gradio as gr

from rag import Principal, RagError, RagService
from webapp.auth.guard import Guard
from webapp.ui.i18n import say, ui_language

# control -> what it needs: (an action on the current space) or a global right ("create", "admin", "user")
NEEDS = {
    "create_space": "create", "manage_space": "rename_space", "documents_tab": "documents", "ingest": "ingest",
    "delete_documents": "delete_document", "reindex": "reindex", "status_tab": "admin", "share_space": "share",
    "members": "manage_members", "keys": "user", "filter": "documents", "download": "documents",
    "share_chat": "user_or_local", "account": "signed_in", "visitor": "visitor",
}


def caller(guard: Guard, request: gr.Request | None) -> Principal:
    """The principal of this event; a gr.Error when the session is gone (signed out, link revoked)."""
    who = guard.identity.by_ref(getattr(request, "username", None)) if request is not None else None
    if who is None:
        raise gr.Error(say(ui_language(request), "signed_out"))
    return who


def permitted(guard: Guard, request: gr.Request | None, space: str | None, action: str) -> Principal:
    """The caller, when they may do `action` in `space`; else a gr.Error that says why (in the UI's language)."""
    who = caller(guard, request)
    try:
        guard.access.ensure(who, space or "", action)
    except RagError as err:
        raise gr.Error(refusal(err, ui_language(request))) from None
    return who


def refusal(err: RagError, lang: str) -> str:
    return say(lang, "not_allowed") if err.code in ("forbidden", "space_not_found") else str(err)


def rights(guard: Guard, who: Principal, space: str | None) -> dict[str, bool]:
    """control -> shown, for `who` on `space`."""
    access = guard.access
    plain_user = not who.local and who.share_id is None and who.key_id is None
    globals_ = {"create": access.may_create_spaces(who), "admin": who.admin or who.local, "user": plain_user,
                "user_or_local": who.share_id is None, "signed_in": plain_user, "visitor": who.share_id is not None}
    return {control: globals_[need] if need in globals_ else bool(space) and access.allowed(who, space or "", need)
            for control, need in NEEDS.items()}


@dataclass
class Controls:
    """The components each right shows or hides, collected as the panels are built."""
    parts: list[tuple[str, gr.components.Component | gr.blocks.BlockContext]] = field(default_factory=list)

    def add(self, control: str, *components) -> None:
        assert control in NEEDS, control
        self.parts += [(control, c) for c in components]

    @property
    def components(self) -> list:
        return [c for _, c in self.parts]

    def updates(self, shown: dict[str, bool]) -> list[dict]:
        return [gr.update(visible=shown[control]) for control, _ in self.parts]


def visible_spaces(service: RagService, guard: Guard, who: Principal) -> list[str]:
    return guard.access.visible_spaces(who, [s.name for s in service.list_spaces()])


def page_origin(request: gr.Request) -> str:
    """scheme://host of the page the user is on, for the links they copy (share links, conversation snapshots)."""
    return request.headers.get("origin") or f"http://{request.headers.get('host', 'localhost')}"
