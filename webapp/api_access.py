"""HTTP routes of the permission model: who am I, a space's members and share links (its owners), and the
caller's own API keys (made here once, listed, revoked). Users themselves are the admin's, through
`python -m rag.cli users`."""
from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from rag import ApiKeyInfo, Forbidden, Principal, RagService, SharedTurn, ShareInfo
from webapp.api_schema import Deleted, KeptRequest, error_responses
from webapp.auth.guard import Caller, Guard

_ERRORS = error_responses(400, 401, 403, 404, 409, 422)


class _Strict(KeptRequest):
    model_config = ConfigDict(extra="forbid")


class ShareRequest(_Strict):
    hours: float | None = Field(72.0, gt=0, le=24 * 366, description="lifetime; null = until revoked")
    label: str = Field("", max_length=100)


class ConversationShareRequest(_Strict):
    space: str
    turns: list[SharedTurn] = Field(min_length=1, max_length=200)
    hours: float | None = Field(None, gt=0, le=24 * 366)


class MemberRequest(_Strict):
    role: Literal["viewer", "editor", "owner"]


class Member(BaseModel):
    user: str
    role: str


class KeyRequest(_Strict):
    spaces: list[str] | None = Field(None, description="null = every space the user may read")
    scopes: list[Literal["read", "ingest", "admin"]] = Field(["read"])
    days: float | None = Field(None, gt=0, le=3660, description="lifetime; null = until revoked")
    label: str = Field("", max_length=100)


class NewKey(BaseModel):
    key: str = Field(description="the key itself: shown this once")
    info: ApiKeyInfo


def build_access_router(service: RagService, guard: Guard) -> APIRouter:
    router = APIRouter(responses=_ERRORS, tags=["access"])
    access = service.access

    def own_user(who: Principal) -> str:
        if who.local or who.share_id or who.key_id:
            raise Forbidden("API keys are made by a signed-in user (or with `python -m rag.cli keys create`)")
        return who.user

    @router.get("/me", response_model=Principal)
    def me(who: Caller) -> Principal:
        """Who the request acts for, with their roles."""
        return who

    @router.get("/spaces/{name}/shares", response_model=list[ShareInfo])
    def shares(name: str, who: Caller) -> list[ShareInfo]:
        return access.list_shares(who, name)

    @router.post("/spaces/{name}/shares", status_code=201, response_model=ShareInfo)
    def create_share(name: str, req: ShareRequest, who: Caller) -> ShareInfo:
        """A chat-only link to the space for visitors without an account: open /s/{token}."""
        return access.create_share(who, name, req.hours * 3600 if req.hours else None, req.label)

    @router.post("/shares/conversation", status_code=201, response_model=ShareInfo)
    def share_conversation(req: ConversationShareRequest, who: Caller) -> ShareInfo:
        """A read-only snapshot of a conversation: open /c/{token}."""
        return access.share_conversation(who, req.space, req.turns, req.hours * 3600 if req.hours else None)

    @router.delete("/shares/{share_id}", response_model=ShareInfo)
    def revoke_share(share_id: str, who: Caller) -> ShareInfo:
        return access.revoke_share(who, share_id)

    @router.get("/spaces/{name}/members", response_model=dict[str, str])
    def members(name: str, who: Caller) -> dict[str, str]:
        """user -> role on the space."""
        return access.members(who, name)

    @router.put("/spaces/{name}/members/{user}", response_model=Member)
    def set_member(name: str, user: str, req: MemberRequest, who: Caller) -> Member:
        access.set_member(who, name, user, req.role)
        return Member(user=user, role=req.role)

    @router.delete("/spaces/{name}/members/{user}", response_model=Deleted)
    def remove_member(name: str, user: str, who: Caller) -> Deleted:
        access.set_member(who, name, user, None)
        return Deleted(deleted=user)

    @router.get("/keys", response_model=list[ApiKeyInfo])
    def keys(who: Caller) -> list[ApiKeyInfo]:
        return access.list_keys(own_user(who))

    @router.post("/keys", status_code=201, response_model=NewKey)
    def create_key(req: KeyRequest, who: Caller) -> NewKey:
        info, key = access.create_key(own_user(who), req.spaces, list(req.scopes),
                                      req.days * 86400 if req.days else None, req.label)
        return NewKey(key=key, info=info)

    @router.delete("/keys/{key_id}", response_model=Deleted)
    def revoke_key(key_id: str, who: Caller) -> Deleted:
        if not access.revoke_key(key_id, who):
            raise Forbidden("no such key of yours")
        return Deleted(deleted=key_id)

    return router
