"""Sessions and share links, the signed-token half of `service.access` (a mixin of rag/access/facade.py's Access).

    session      `u` token: the user's name and an expiry, signed; it stops working when the user is removed
    space share  `s` token: a share id, signed; a visitor chats with that one space until it expires or is revoked
    conversation `s` token of a share holding a snapshot: read-only, no live access to the space
"""
from __future__ import annotations

import time
from typing import TYPE_CHECKING

from rag.access.shares import ShareRecord, Shares
from rag.access.tokens import pack, sign, unpack, unsign
from rag.access.users import Users
from rag.errors import Forbidden, ShareNotFound
from rag.types import Principal, SharedConversation, SharedTurn, ShareInfo

if TYPE_CHECKING:
    from rag.store.qdrant_store import Store


class Links:
    store: Store
    users: Users
    shares: Shares

    @property
    def secret(self) -> bytes:
        raise NotImplementedError

    def _audit(self, action: str, ok: bool, line: str, *args: object) -> None: ...
    def ensure(self, who: Principal, space: str, action: str) -> None: ...
    def principal_of_share(self, share_id: str) -> Principal | None: ...

    # --- sessions ---------------------------------------------------------------------------------
    def session_token(self, name: str, ttl_s: float) -> str:
        return sign(self.secret, "u", f"{pack(name)}~{int(time.time() + ttl_s)}")

    def session_principal(self, token: str) -> Principal | None:
        body = unsign(self.secret, "u", token)
        packed, _, expires = (body or "").partition("~")
        name = unpack(packed) if expires.isdigit() and int(expires) > time.time() else None
        user = self.users.get(name) if name else None
        return Principal(user=user.name, admin=user.admin, roles=dict(user.roles)) if user else None

    def proxy_principal(self, name: str) -> Principal:
        """The user an authenticating proxy vouches for, made on first sight (no roles until granted)."""
        user = self.users.get(name)
        if user is None:
            user = self.users.add_external(name)
            self._audit("user_add", True, "user %s added on first sign-in through the proxy", user.name)
        return Principal(user=user.name, admin=user.admin, roles=dict(user.roles))

    # --- shares -----------------------------------------------------------------------------------
    def _info(self, share: ShareRecord) -> ShareInfo:
        return ShareInfo(id=share.id, space=share.space, kind=share.link,
                         by=share.by, token=sign(self.secret, "s", share.id), created=share.created,
                         expires=share.expires, revoked=share.revoked, label=share.label)

    def create_share(self, who: Principal, space: str, ttl_s: float | None = None, label: str = "") -> ShareInfo:
        """A chat-only link to `space` for visitors without an account (the space's owners may make one)."""
        self.ensure(who, space, "share")
        share = self.shares.create(space, who.user, "space", ttl_s, label)
        self._audit("share_create", True, "share %s of space %s made by %s", share.id, space, who.user)
        return self._info(share)

    def share_conversation(self, who: Principal, space: str, turns: list[SharedTurn],
                           ttl_s: float | None = None) -> ShareInfo:
        """A read-only link to a snapshot of one conversation in `space` (anyone who may chat there)."""
        self.ensure(who, space, "read")
        if who.share_id or not turns:
            raise Forbidden("a shared link's visitor cannot share" if who.share_id else "nothing to share yet")
        share = self.shares.create(space, who.user, "conversation", ttl_s,
                                   turns=[t.model_dump(mode="json") for t in turns])
        self._audit("share_create", True, "conversation %s of space %s shared by %s", share.id, space, who.user)
        return self._info(share)

    def list_shares(self, who: Principal, space: str) -> list[ShareInfo]:
        self.ensure(who, space, "share")
        return [self._info(s) for s in self.shares.list(space)]

    def revoke_share(self, who: Principal, share_id: str) -> ShareInfo:
        """Revoke a link: the space's owners may revoke any, a user the conversations they shared."""
        share = self.shares.get(share_id)
        if share is None:
            raise ShareNotFound()
        if not (share.link == "conversation" and share.by == who.user and not who.share_id and not who.key_id):
            self.ensure(who, share.space, "share")
        self.shares.revoke(share_id)
        self._audit("share_revoke", True, "share %s of space %s revoked by %s", share_id, share.space, who.user)
        return self._info(share)

    def _usable_share(self, token: str, kind: str) -> ShareRecord | None:
        share_id = unsign(self.secret, "s", token)
        share = self.shares.get(share_id) if share_id else None
        return share if share is not None and share.link == kind and share.usable() else None

    def share_principal(self, token: str) -> Principal | None:
        """The visitor of a usable space link: may chat with that one space, nothing else."""
        share_id = unsign(self.secret, "s", token)
        return self.principal_of_share(share_id) if share_id else None

    def share_usable(self, share_id: str, space: str) -> bool:
        share = self.shares.get(share_id)
        return share is not None and share.link == "space" and share.space == space and share.usable()

    def shared_conversation(self, token: str) -> SharedConversation:
        share = self._usable_share(token, "conversation")
        if share is None:
            raise ShareNotFound()
        return SharedConversation(space=share.space, by=share.by, created=share.created,
                                  turns=[SharedTurn(**t) for t in share.turns or []])

    # --- a space's name changes or it goes: its roles and links follow ----------------------------
    def space_renamed(self, space: str, new_space: str) -> None:
        self.users.move_space(space, new_space)
        self.shares.move(space, new_space)

    def space_deleted(self, space: str) -> None:
        self.users.move_space(space, None)
        self.shares.delete_space(space)
