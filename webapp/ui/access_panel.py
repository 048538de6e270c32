"""Sharing and keys: a space's share links (its owners: make one with a lifetime, copy, revoke), its members (its
owners: give a user a role, or take it away), and the signed-in user's own API keys (made here and shown once,
listed, revoked). Every action is checked on the server by the same `service.access` as the HTTP API."""
from __future__ import annotations

import time

import gradio as gr

from rag import RagError, RagService
from webapp.auth.guard import Guard
from webapp.ui.i18n import say, t, ui_language
from webapp.ui.rights import Controls, caller, page_origin, refusal, visible_spaces

SHARE_COLUMNS = ["id", "label", "expires", "state", "link"]
MEMBER_COLUMNS = ["user", "role"]
ROLE_CHOICES = [("Viewer: chat, documents list", "viewer"), ("Editor: + upload, delete", "editor"),
                ("Owner: + rename, share, members", "owner")]
KEY_COLUMNS = ["id", "label", "spaces", "scopes", "expires", "state"]


def _when(ts: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ts)) if ts else "—"


def _state(revoked: bool, expires: float | None) -> str:
    return "revoked" if revoked else "expired" if expires and expires < time.time() else "active"


def build_access_panel(service: RagService, guard: Guard, selector: gr.Dropdown, controls: Controls) -> None:
    access = guard.access
    notice = gr.Markdown(elem_id="access-notice")
    with gr.Column(variant="panel", elem_id="share-space") as share_group:
        gr.Markdown(t("share_space_title"))
        with gr.Row(equal_height=True):
            hours = gr.Number(72, label=t("share_hours"), minimum=1, maximum=24 * 366, elem_id="share-hours")
            label = gr.Textbox(label=t("share_label"), max_length=100, elem_id="share-label")
            create = gr.Button(t("share_create"), variant="primary", elem_id="share-create")
        link = gr.Textbox(label=t("share_link"), interactive=False, buttons=["copy"], elem_id="share-link")
        links = gr.Dataframe(headers=SHARE_COLUMNS, interactive=False, wrap=True, elem_id="share-links")
        with gr.Row(equal_height=True):
            pick_link = gr.Dropdown(choices=[], label=t("share_pick"), elem_id="share-pick")
            revoke = gr.Button(t("share_revoke"), variant="stop", elem_id="share-revoke")
    with gr.Column(variant="panel", elem_id="members") as member_group:
        gr.Markdown(t("members_title"))
        members = gr.Dataframe(headers=MEMBER_COLUMNS, interactive=False, elem_id="members-table")
        with gr.Row(equal_height=True):
            user = gr.Textbox(label=t("member_user"), max_length=64, elem_id="member-user")
            role = gr.Dropdown(ROLE_CHOICES, value="viewer", label=t("member_role"),
                               elem_id="member-role")
            grant = gr.Button(t("member_set"), elem_id="member-set")
            remove = gr.Button(t("member_remove"), variant="stop", elem_id="member-remove")
    with gr.Column(variant="panel", elem_id="api-keys") as key_group:
        gr.Markdown(t("keys_title"))
        with gr.Row(equal_height=True):
            key_spaces = gr.Dropdown(choices=[], multiselect=True, label=t("key_spaces"), elem_id="key-spaces")
            scopes = gr.CheckboxGroup(["read", "ingest", "admin"], value=["read"], label=t("key_scopes"),
                                      elem_id="key-scopes")
            days = gr.Number(90, label=t("key_days"), minimum=0, elem_id="key-days")
            key_label = gr.Textbox(label=t("share_label"), max_length=100, elem_id="key-label")
        make_key = gr.Button(t("key_create"), variant="primary", elem_id="key-create")
        new_key = gr.Textbox(label=t("key_once"), interactive=False, buttons=["copy"], elem_id="new-key")
        keys = gr.Dataframe(headers=KEY_COLUMNS, interactive=False, wrap=True, elem_id="keys-table")
        with gr.Row(equal_height=True):
            pick_key = gr.Dropdown(choices=[], label=t("key_pick"), elem_id="key-pick")
            drop_key = gr.Button(t("key_revoke"), variant="stop", elem_id="key-revoke")
    controls.add("share_space", share_group)
    controls.add("members", member_group)
    controls.add("keys", key_group)

    def refresh(space: str | None, request: gr.Request):
        """(links, link choices, members, keys, key choices, key spaces) for what the caller may see."""
        who = caller(guard, request)
        shares = access.list_shares(who, space) if space and access.allowed(who, space, "share") else []
        share_rows = [[s.id, s.label, _when(s.expires), _state(s.revoked, s.expires),
                       f"{page_origin(request)}/s/{s.token}"] for s in shares]
        crew = access.members(who, space) if space and access.allowed(who, space, "manage_members") else {}
        mine = [] if who.local or who.share_id or who.key_id else access.list_keys(who.user)
        key_rows = [[k.id, k.label, ", ".join(k.spaces) if k.spaces is not None else "*", ", ".join(k.scopes),
                     _when(k.expires), _state(k.revoked, k.expires)] for k in mine]
        return (share_rows, gr.update(choices=[s.id for s in shares if not s.revoked], value=None),
                [[u, r] for u, r in sorted(crew.items())], key_rows,
                gr.update(choices=[k.id for k in mine if not k.revoked], value=None),
                gr.update(choices=visible_spaces(service, guard, who)))

    listed = [links, pick_link, members, keys, pick_key, key_spaces]

    def acting(work):
        """Run `work(who, lang)`: its notice, then the lists again; a refusal is the notice."""
        def run(space: str | None, request: gr.Request, *args):
            lang, who = ui_language(request), caller(guard, request)
            try:
                message, shown = work(who, lang, space, request, *args)
            except RagError as err:
                message, shown = f"⚠️ {refusal(err, lang)}", gr.update()
            return message, shown, *refresh(space, request)
        return run

    def do_share(who, lang, space, request, h, text):
        info = access.create_share(who, space or "", float(h) * 3600 if h else None, text or "")
        return say(lang, "share_made"), f"{page_origin(request)}/s/{info.token}"

    def do_revoke(who, lang, space, request, share_id):
        access.revoke_share(who, share_id or "")
        return say(lang, "share_revoked"), gr.update()

    def do_member(who, lang, space, request, name, what):
        access.set_member(who, space or "", (name or "").strip(), what)
        return say(lang, "member_done"), gr.update()

    def do_key(who, lang, space, request, chosen, wanted, d, text):
        _, key = access.create_key(who.user, chosen or None, wanted or ["read"], float(d) * 86400 if d else None,
                                   text or "")
        return say(lang, "key_made"), key

    def do_drop_key(who, lang, space, request, key_id):
        access.revoke_key(key_id or "", who)
        return say(lang, "key_revoked"), gr.update()

    create.click(acting(do_share), [selector, hours, label], [notice, link, *listed], api_visibility="private")
    revoke.click(acting(do_revoke), [selector, pick_link], [notice, link, *listed], api_visibility="private")
    grant.click(acting(lambda w, la, s, r, n, ro: do_member(w, la, s, r, n, ro)), [selector, user, role],
                [notice, user, *listed], api_visibility="private")
    remove.click(acting(lambda w, la, s, r, n: do_member(w, la, s, r, n, None)), [selector, user],
                 [notice, user, *listed], api_visibility="private")
    make_key.click(acting(do_key), [selector, key_spaces, scopes, days, key_label], [notice, new_key, *listed],
                   api_visibility="private")
    drop_key.click(acting(do_drop_key), [selector, pick_key], [notice, new_key, *listed], api_visibility="private")
    selector.change(refresh, [selector], listed, show_progress="hidden", api_visibility="private")
