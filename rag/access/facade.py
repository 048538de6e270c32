"""The access side of the facade (`service.access`): users, roles per space, API keys, sessions and share links
(rag/access/links.py), and the one check every surface asks, `allowed(principal, space, action)` (or `ensure`,
which raises). Public types in and out: no hash leaves the engine."""
from __future__ import annotations

import logging

from rag.access.keys import KeyRecord, Keys
from rag.access.links import Links
from rag.access.roles import NEEDS, SCOPE_OF, SHARE_ACTIONS, allows, role_named
from rag.access.shares import Shares
from rag.access.tokens import deployment_secret
from rag.access.users import UserRecord, Users
from rag.errors import Forbidden, SpaceNotFound, UserNotFound
from rag.store.qdrant_store import Store
from rag.telemetry import Telemetry
from rag.types import ApiKeyInfo, Principal, UserInfo

log = logging.getLogger(__name__)
LOCAL = Principal(user="local", admin=True, local=True)


def _user(u: UserRecord) -> UserInfo:
    return UserInfo(name=u.name, admin=u.admin, roles=dict(u.roles), created=u.created)


def _key(k: KeyRecord) -> ApiKeyInfo:
    return ApiKeyInfo(id=k.id, user=k.user, spaces=k.spaces, scopes=list(k.scopes), expires=k.expires,
                      created=k.created, revoked=k.revoked, label=k.label)


class Access(Links):
    def __init__(self, store: Store, telemetry: Telemetry | None = None, secret: str = "") -> None:
        self.store, self.users, self.keys, self.shares = store, Users(store), Keys(store), Shares(store)
        self.telemetry = telemetry or Telemetry()
        self._given_secret, self._secret = secret, b""

    @property
    def secret(self) -> bytes:
        """The signing secret, read (or made) on first use: a store that is down at start is not needed yet."""
        if not self._secret:
            self._secret = deployment_secret(self.store, self._given_secret)
        return self._secret

    def _audit(self, action: str, ok: bool, line: str, *args: object) -> None:
        """One log line and one count per access event; never a password, key or token."""
        (log.info if ok else log.warning)("audit: " + line, *args)
        self.telemetry.audited(action, ok)

    def record(self, who: Principal, action: str, space: str, ok: bool, detail: str = "") -> None:
        """Audit what a surface did for `who` (an upload, a deletion): one line, one count."""
        self._audit(action, ok, "%s by %s in space %s: %s%s", action, who.user, space, "ok" if ok else "failed",
                    f" ({detail})" if detail else "")

    # --- users ------------------------------------------------------------------------------------
    def add_user(self, name: str, password: str, admin: bool = False) -> UserInfo:
        user = _user(self.users.add(name, password, admin))
        self._audit("user_add", True, "user %s added%s", user.name, " (admin)" if admin else "")
        return user

    def remove_user(self, name: str) -> None:
        self.users.remove(name)
        for key in self.keys.list(name):      # a removed user's keys stop working with them
            self.keys.revoke(key.id)
        self._audit("user_remove", True, "user %s removed", name)

    def list_users(self) -> list[UserInfo]:
        return [_user(u) for u in self.users.list()]

    def grant(self, name: str, space: str, role: str) -> UserInfo:
        if self.store.get_space(space) is None:
            raise SpaceNotFound(space)
        user = _user(self.users.grant(name, space, role))
        self._audit("grant", True, "user %s is %s of space %s", name, user.roles[space], space)
        return user

    def revoke(self, name: str, space: str) -> UserInfo:
        user = _user(self.users.revoke(name, space))
        self._audit("revoke", True, "user %s removed from space %s", name, space)
        return user

    def members(self, who: Principal, space: str) -> dict[str, str]:
        """user -> role on `space` (its owners and admins may ask)."""
        self.ensure(who, space, "manage_members")
        return {u.name: u.roles[space] for u in self.users.list() if space in u.roles}

    def set_member(self, who: Principal, space: str, name: str, role: str | None) -> UserInfo:
        """Give `name` a role on `space`, or remove them from it (None); the space's owners and admins may."""
        self.ensure(who, space, "manage_members")
        return self.grant(name, space, role_named(role).name) if role else self.revoke(name, space)

    def sign_in(self, name: str, password: str) -> Principal | None:
        user = self.users.verify(name, password)
        self._audit("sign_in", user is not None, "sign-in %r %s", (name or "")[:64], "ok" if user else "failed")
        return Principal(user=user.name, admin=user.admin, roles=dict(user.roles)) if user else None

    def ensure_admin(self, name: str, password: str) -> None:
        """The first admin from the settings: created once, never overwritten."""
        if name and self.users.get(name) is None:
            self.add_user(name, password, admin=True)

    # --- keys -------------------------------------------------------------------------------------
    def create_key(self, user: str, spaces: list[str] | None = None, scopes: list[str] | None = None,
                   ttl_s: float | None = None, label: str = "") -> tuple[ApiKeyInfo, str]:
        if self.users.get(user) is None:
            raise UserNotFound(user)
        record, key = self.keys.create(user, spaces, scopes, ttl_s, label)
        self._audit("key_create", True, "key %s made for %s (spaces %s, scopes %s)", record.id, user,
                    spaces or "all", ",".join(record.scopes))
        return _key(record), key

    def revoke_key(self, key_id: str, who: Principal | None = None) -> bool:
        """Revoke a key (as `who`: their own keys, or any as an admin); False when there is no such key."""
        record = self.keys.get(key_id)
        if who is not None and record is not None and not (who.admin or (record.user == who.user and
                                                                          who.key_id is None)):
            raise Forbidden("only the key's user or an admin may revoke it")
        done = self.keys.revoke(key_id) if record else False
        self._audit("key_revoke", done, "key %s revoked: %s", key_id, "ok" if done else "no such key")
        return done

    def list_keys(self, user: str | None = None) -> list[ApiKeyInfo]:
        return [_key(k) for k in self.keys.list(user)]

    def key_principal(self, presented: str) -> Principal | None:
        """Who a presented API key acts for, limited to the key's spaces and scopes; None when it is not usable."""
        key = self.keys.verify(presented)
        user = self.users.get(key.user) if key else None
        if key is None or user is None:
            self._audit("key_use", False, "key refused")
            return None
        self._audit("key_use", True, "key %s used by %s", key.id, user.name)
        return Principal(user=user.name, admin=user.admin, roles=dict(user.roles), key_id=key.id,
                         key_spaces=key.spaces, key_scopes=list(key.scopes))

    # --- a principal again from its ref (Principal.ref), fresh from the registry ----------------
    def principal_of_user(self, name: str) -> Principal | None:
        user = self.users.get(name)
        return Principal(user=user.name, admin=user.admin, roles=dict(user.roles)) if user else None

    def principal_of_key(self, key_id: str) -> Principal | None:
        key = self.keys.get(key_id) if key_id.isalnum() else None
        user = self.users.get(key.user) if key is not None and key.usable() else None
        if key is None or user is None:
            return None
        return Principal(user=user.name, admin=user.admin, roles=dict(user.roles), key_id=key.id,
                         key_spaces=key.spaces, key_scopes=list(key.scopes))

    def principal_of_share(self, share_id: str) -> Principal | None:
        share = self.shares.get(share_id)
        if share is None or share.link != "space" or not share.usable():
            return None
        return Principal(user=f"visitor of {share.id[:6]}", roles={share.space: "viewer"}, share_id=share.id,
                         share_space=share.space)

    # --- the check --------------------------------------------------------------------------------
    def allowed(self, who: Principal, space: str, action: str) -> bool:
        """Whether `who` may do `action` (see rag/access/roles.py) in `space`."""
        if action not in NEEDS:
            raise ValueError(f"unknown action {action!r}")
        if who.local:
            return True
        if who.share_id is not None:    # a link's visitor: chat with its one space while the link lasts
            return space == who.share_space and action in SHARE_ACTIONS and self.share_usable(who.share_id, space)
        outside_key = who.key_id is not None and (     # a key: within its spaces and scopes, never beyond its user
            (who.key_spaces is not None and space not in who.key_spaces)
            or SCOPE_OF[action] not in (who.key_scopes or []))
        if outside_key:
            return False
        user = self.users.get(who.user)   # the registry, not the principal: a role revoked meanwhile counts
        return user is not None and (user.admin or allows(user.role(space), action))

    def ensure(self, who: Principal, space: str, action: str) -> None:
        """Nothing when `who` may do `action` in `space`; else Forbidden when they may see the space, and
        SpaceNotFound when they may not (a space one may not read looks like one that does not exist)."""
        if self.allowed(who, space, action):
            return
        visible = action != "read" and self.allowed(who, space, "read")
        self._audit("refused", False, "%s refused %s in space %s", who.user, action, space)
        if visible:
            raise Forbidden(f"your role does not allow this in space {space!r}")
        raise SpaceNotFound(space)

    def visible_spaces(self, who: Principal, spaces: list[str]) -> list[str]:
        return [s for s in spaces if self.allowed(who, s, "read")]

    def may_create_spaces(self, who: Principal) -> bool:
        """Signed-in users (and keys with the admin scope) may create spaces, which they then own."""
        if who.local:
            return True
        if who.share_id is not None or (who.key_id is not None and "admin" not in (who.key_scopes or [])):
            return False
        return self.users.get(who.user) is not None

    def space_created(self, who: Principal, space: str) -> None:
        """The creator of a space owns it."""
        if not who.local and not who.admin and who.share_id is None:
            self.grant(who.user, space, "owner")
