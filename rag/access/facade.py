"""The access side of the facade (`service.access`): users, roles per space, API keys, and the one check every
surface asks, `allowed(principal, space, action)`. Public types in and out: no hash leaves the engine."""
from __future__ import annotations

import logging

from rag.access.keys import KeyRecord, Keys
from rag.access.roles import NEEDS, SCOPE_OF, allows
from rag.access.users import UserRecord, Users
from rag.errors import SpaceNotFound, UserNotFound
from rag.store.qdrant_store import Store
from rag.telemetry import Telemetry
from rag.types import ApiKeyInfo, Principal, UserInfo

log = logging.getLogger(__name__)


def _user(u: UserRecord) -> UserInfo:
    return UserInfo(name=u.name, admin=u.admin, roles=dict(u.roles), created=u.created)


def _key(k: KeyRecord) -> ApiKeyInfo:
    return ApiKeyInfo(id=k.id, user=k.user, spaces=k.spaces, scopes=list(k.scopes), expires=k.expires,
                      created=k.created, revoked=k.revoked, label=k.label)


class Access:
    def __init__(self, store: Store, telemetry: Telemetry | None = None) -> None:
        self.store, self.users, self.keys = store, Users(store), Keys(store)
        self.telemetry = telemetry or Telemetry()

    def _audit(self, action: str, ok: bool, line: str, *args: object) -> None:
        """One log line and one count per access event; never a password, key or token."""
        log.info("audit: " + line, *args)
        self.telemetry.audited(action, ok)

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

    def revoke_key(self, key_id: str) -> bool:
        done = self.keys.revoke(key_id)
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

    # --- the check --------------------------------------------------------------------------------
    def allowed(self, who: Principal, space: str, action: str) -> bool:
        """Whether `who` may do `action` (see rag/access/roles.py) in `space`."""
        if action not in NEEDS:
            raise ValueError(f"unknown action {action!r}")
        outside_key = who.key_id is not None and (     # a key: within its spaces and scopes, never beyond its user
            (who.key_spaces is not None and space not in who.key_spaces)
            or SCOPE_OF[action] not in (who.key_scopes or []))
        if outside_key:
            return False
        user = self.users.get(who.user)   # the registry, not the principal: a role revoked meanwhile counts
        return user is not None and (user.admin or allows(user.role(space), action))

    def visible_spaces(self, who: Principal, spaces: list[str]) -> list[str]:
        return [s for s in spaces if self.allowed(who, s, "read")]
