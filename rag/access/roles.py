"""The permission model: one table of which role each action needs, used by every surface.

    visitor of a shared link: chat with that one space (ask, see the cited passages), nothing else
    viewer  chat with the space, list its documents and download them
    editor  + upload and delete documents, re-index, read the readers' feedback
    owner   + rename and delete the space, share it, manage its members
    admin   (global) everything, and users
"""
from __future__ import annotations

from enum import IntEnum
from typing import Literal

Action = Literal["read", "documents", "review_feedback", "ingest", "delete_document", "reindex", "rename_space",
                 "delete_space", "share",
                 "manage_members"]
Scope = Literal["read", "ingest", "admin"]


class Role(IntEnum):
    viewer = 1
    editor = 2
    owner = 3


NEEDS: dict[str, Role] = {
    "read": Role.viewer, "documents": Role.viewer,
    "review_feedback": Role.editor,
    "ingest": Role.editor, "delete_document": Role.editor, "reindex": Role.editor,
    "rename_space": Role.owner, "delete_space": Role.owner, "share": Role.owner, "manage_members": Role.owner,
}
SCOPE_OF: dict[str, Scope] = {"read": "read", "documents": "read", "review_feedback": "read",
                              "ingest": "ingest", "delete_document": "ingest", "reindex": "ingest",
                              "rename_space": "admin", "delete_space": "admin", "share": "admin",
                              "manage_members": "admin"}

SHARE_ACTIONS = frozenset({"read"})     # what a shared link's visitor may do, in its one space


def role_named(name: str) -> Role:
    try:
        return Role[name.strip().lower()]
    except KeyError:
        raise ValueError(f"unknown role {name!r}: one of {', '.join(r.name for r in Role)}") from None


def allows(role: Role | None, action: str) -> bool:
    """Whether a member with `role` on a space may do `action` there (None: not a member)."""
    return role is not None and role >= NEEDS[action]
