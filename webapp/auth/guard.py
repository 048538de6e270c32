"""What every surface asks before it acts: who is calling (the principal the gate resolved), may they do this in
this space (`service.access.ensure`: SpaceNotFound when they may not see it, Forbidden when they may not act),
and, for a shared link's visitor, is there a question left this minute (SHARE_QUESTIONS_PER_MIN)."""
from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from rag import Principal, RagService, RateLimited
from webapp.auth.identity import AuthError, Identity
from webapp.auth.throttle import Throttle

_bearer = HTTPBearer(auto_error=False, description="a user's API key (qc_…), or API_KEY")


class Guard:
    def __init__(self, service: RagService) -> None:
        self.service, self.access = service, service.access
        self.identity = Identity(service)
        self.questions = Throttle(service.settings.share_questions_per_min)

    def allow_host(self, name: str) -> None:
        """Answer one more Host name (gradio's share tunnel)."""
        if name and "*" not in self.identity.hosts:
            self.identity.hosts.append(name.lower())

    def ask(self, who: Principal, space: str) -> None:
        """May `who` ask a question in `space` now? (raises SpaceNotFound, or RateLimited for a shared link)"""
        self.access.ensure(who, space, "read")
        if who.share_id and not self.questions.hit(who.share_id):
            self.access.record(who, "question", space, False, "rate limited")
            wait = self.questions.retry_after(who.share_id)
            raise RateLimited(f"this shared link may ask {self.questions.per_minute} questions a minute; "
                              f"try again in {wait} s")



async def current_principal(request: Request,
                            _: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Principal:
    """The dependency of every REST and OpenAI route: the principal the gate resolved, or 401. With AUTH=off and
    API_KEY set, the HTTP APIs need the key (or a user's key) as before, while the UI stays open."""
    principal = getattr(request.state, "principal", None)
    key_only = getattr(request.state, "key_only", False)
    if principal is None or (key_only and getattr(request.state, "credential", "") != "bearer"):
        raise AuthError("an API key is needed: send 'Authorization: Bearer <key>'")
    return principal


Caller = Annotated[Principal, Depends(current_principal)]
