"""Users in the store's registry: a name, an argon2 hash of the password (argon2-cffi's defaults, RFC 9106's low-
memory profile), whether they are the global admin, and a role per space. Passwords never leave this module
except as hashes; a failed sign-in costs the same time whether the name exists or not."""
from __future__ import annotations

import time
from dataclasses import dataclass, field

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from rag.access.roles import Role, role_named
from rag.errors import AccessError, UserExists, UserNotFound
from rag.store.qdrant_store import Store
from rag.store.records import delete_record, get_record, list_records, put_record

_HASHER = PasswordHasher()
_DUMMY_HASH = _HASHER.hash("not a password: the work a missing user costs")
MIN_PASSWORD = 8
EXTERNAL = "!external"     # the password hash of a user a trusted proxy signs in: matches no password


@dataclass
class UserRecord:
    name: str
    password_hash: str
    admin: bool = False
    roles: dict[str, str] = field(default_factory=dict)     # space -> viewer | editor | owner
    created: float = field(default_factory=time.time)

    def role(self, space: str) -> Role | None:
        return Role.owner if self.admin else (role_named(self.roles[space]) if space in self.roles else None)


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > 64 or any(ord(ch) < 32 for ch in name):
        raise AccessError("a user name must be 1-64 characters without control characters")
    return name


class Users:
    def __init__(self, store: Store) -> None:
        self.store = store

    def _put(self, user: UserRecord) -> None:
        put_record(self.store, "user", (user.name,), user)

    def get(self, name: str) -> UserRecord | None:
        return get_record(self.store, "user", ((name or "").strip(),), UserRecord)

    def list(self) -> list[UserRecord]:
        return sorted(list_records(self.store, "user", UserRecord), key=lambda u: u.name.lower())

    def add(self, name: str, password: str, admin: bool = False) -> UserRecord:
        name = _clean_name(name)
        if len(password or "") < MIN_PASSWORD:
            raise AccessError(f"a password must have at least {MIN_PASSWORD} characters")
        with self.store._lock:
            if self.get(name) is not None:
                raise UserExists(name)
            user = UserRecord(name=name, password_hash=_HASHER.hash(password), admin=admin)
            self._put(user)
        return user

    def add_external(self, name: str) -> UserRecord:
        """A user an authenticating proxy vouches for: no password here (none can sign in with one), no roles
        until an owner or admin grants them."""
        name = _clean_name(name)
        with self.store._lock:
            user = self.get(name)
            if user is None:
                user = UserRecord(name=name, password_hash=EXTERNAL)
                self._put(user)
        return user

    def move_space(self, space: str, new_space: str | None) -> None:
        """Roles on `space` follow it to `new_space` (or go, with None: the space was deleted)."""
        for user in self.list():
            if space in user.roles:
                role = user.roles.pop(space)
                if new_space is not None:
                    user.roles[new_space] = role
                self._put(user)

    def remove(self, name: str) -> None:
        if self.get(name) is None:
            raise UserNotFound(name)
        delete_record(self.store, "user", (name,))

    def set_password(self, name: str, password: str) -> None:
        user = self._existing(name)
        if len(password or "") < MIN_PASSWORD:
            raise AccessError(f"a password must have at least {MIN_PASSWORD} characters")
        user.password_hash = _HASHER.hash(password)
        self._put(user)

    def grant(self, name: str, space: str, role: str) -> UserRecord:
        user = self._existing(name)
        user.roles[space] = role_named(role).name
        self._put(user)
        return user

    def revoke(self, name: str, space: str) -> UserRecord:
        user = self._existing(name)
        user.roles.pop(space, None)
        self._put(user)
        return user

    def verify(self, name: str, password: str) -> UserRecord | None:
        """The user when the password is theirs, else None (the same argon2 work either way)."""
        user = self.get(name) if name else None
        try:
            _HASHER.verify(user.password_hash if user else _DUMMY_HASH, password or "")
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        if user is None:
            return None
        if _HASHER.check_needs_rehash(user.password_hash):   # parameters raised since: upgrade on sign-in
            user.password_hash = _HASHER.hash(password)
            self._put(user)
        return user

    def _existing(self, name: str) -> UserRecord:
        user = self.get(name)
        if user is None:
            raise UserNotFound(name)
        return user
