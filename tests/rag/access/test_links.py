"""Sessions and share links on a real store: signed tokens that cannot be altered or forged, expiry, revocation,
a removed user's session, a conversation snapshot without live access, links and roles that follow a renamed space
and go with a deleted one, users a trusted proxy vouches for, and the signing secret shared through the store."""
import time

import pytest

from rag import Forbidden, Principal, SharedTurn, ShareNotFound, Source, SpaceNotFound, build_service
from rag.access.tokens import deployment_secret

PASSWORD = "correct horse battery"
OWNER = Principal(user="olga")


@pytest.fixture
def service(make_settings):
    made = build_service(make_settings(), start_llm=False)
    for space in ("A", "B"):
        made.create_space(space)
    made.access.add_user("olga", PASSWORD)
    made.access.grant("olga", "A", "owner")
    yield made
    made.close()


def _tampered(token: str) -> str:
    body, mac = token.rsplit(".", 1)
    return f"{body}.{'A' if mac[0] != 'A' else 'B'}{mac[1:]}"


def test_a_session_is_signed_expires_and_ends_with_its_user(service):
    access = service.access
    token = access.session_token("olga", 60)
    assert access.session_principal(token).user == "olga"
    assert access.session_principal(_tampered(token)) is None
    body = token.rsplit(".", 1)[0]
    assert access.session_principal(body.replace("b2xnYQ", "YWRtaW4") + "." + token.rsplit(".", 1)[1]) is None
    assert access.session_principal(access.session_token("olga", -1)) is None        # expired
    access.remove_user("olga")
    assert access.session_principal(token) is None                                   # the user is gone


def test_a_space_link_is_chat_only_and_stops_when_revoked_or_expired(service):
    access = service.access
    info = access.create_share(OWNER, "A", ttl_s=60, label="demo day")
    visitor = access.share_principal(info.token)
    assert visitor.share_space == "A" and visitor.ref == f"share:{info.id}"
    assert access.allowed(visitor, "A", "read") and not access.allowed(visitor, "B", "read")
    assert not any(access.allowed(visitor, "A", a) for a in ("documents", "ingest", "delete_document", "share"))
    assert access.share_principal(_tampered(info.token)) is None
    assert access.share_principal(f"{'0' * 24}.{info.token.rsplit('.', 1)[1]}") is None     # another id, same mac
    assert [s.label for s in access.list_shares(OWNER, "A")] == ["demo day"]
    access.revoke_share(OWNER, info.id)
    assert access.share_principal(info.token) is None
    assert not access.allowed(visitor, "A", "read")          # a principal made before the revocation, too
    expired = access.create_share(OWNER, "A", ttl_s=0.05)
    time.sleep(0.1)
    assert access.share_principal(expired.token) is None


def test_only_owners_share_a_space(service):
    access = service.access
    access.add_user("vera", PASSWORD)
    access.grant("vera", "A", "viewer")
    with pytest.raises(Forbidden):
        access.create_share(Principal(user="vera"), "A")
    with pytest.raises(SpaceNotFound):                       # B is not hers: it looks like no space at all
        access.create_share(Principal(user="vera"), "B")
    visitor = access.share_principal(access.create_share(OWNER, "A").token)
    with pytest.raises(Forbidden):
        access.create_share(visitor, "A")


def test_a_conversation_snapshot_is_read_only_and_revocable(service):
    access = service.access
    turns = [SharedTurn(question="Сколько уязвимостей?", answer="Три [1].", sources=[
        Source(n=1, file="p1.txt", page=2, score=0.9, text="выявлено три уязвимости")])]
    info = access.share_conversation(OWNER, "A", turns)
    shared = access.shared_conversation(info.token)
    assert shared.space == "A" and shared.turns == turns and shared.by == "olga"
    assert access.share_principal(info.token) is None        # a snapshot link gives no access to the space
    access.revoke_share(OWNER, info.id)
    with pytest.raises(ShareNotFound):
        access.shared_conversation(info.token)
    with pytest.raises(Forbidden):
        access.share_conversation(OWNER, "A", [])


def test_links_and_roles_follow_a_renamed_space_and_go_with_a_deleted_one(service):
    access = service.access
    link = access.create_share(OWNER, "A")
    service.rename_space("A", "A2")
    assert access.users.get("olga").roles == {"A2": "owner"}
    assert access.share_principal(link.token).share_space == "A2"
    service.delete_space("A2")
    assert access.users.get("olga").roles == {} and access.share_principal(link.token) is None


def test_a_proxy_user_is_made_on_first_sight_without_a_password(service):
    access = service.access
    who = access.proxy_principal("sso.user@example.com")
    assert who.user == "sso.user@example.com" and who.roles == {} and not access.allowed(who, "A", "read")
    assert access.sign_in("sso.user@example.com", "") is None and access.sign_in("sso.user@example.com", "!") is None
    access.grant("sso.user@example.com", "A", "viewer")
    assert access.allowed(access.proxy_principal("sso.user@example.com"), "A", "read")


def test_replicas_on_one_store_share_the_signing_secret(service):
    made = deployment_secret(service.store)
    assert made == service.access.secret and len(made) == 64
    assert deployment_secret(service.store, "configured") == b"configured"
