"""Accounts' store methods (migration 14) behave alike on both engines: users, tokens, sessions
and the change log are added or given an end, never deleted, and a rolled-back transaction
leaves none of them."""

from __future__ import annotations

import pytest

from clearground.domain.accounts import AccountEvent, User


def _user(name: str = "SYNTHETIC-ana", **kw) -> User:
    base = {"role": "viewer", "created_at": "2026-01-01T00:00:00.000000Z", "created_by": "t"}
    return User(name=name, password_hash="$argon2id$fake", **{**base, **kw})


def test_a_user_is_stored_and_read_back_whole(store):
    with store.transaction() as tx:
        assert tx.user("SYNTHETIC-ana") is None
        tx.add_user(_user(role="operator", organisation="ORG-000001", permissions=("victim_data",)))
        tx.commit()
    got = store.user("SYNTHETIC-ana")
    assert got == _user(role="operator", organisation="ORG-000001", permissions=("victim_data",))
    assert got.password_hash == "$argon2id$fake" and not got.disabled
    assert [u.name for u in store.users()] == ["SYNTHETIC-ana"]
    assert store.user("nobody") is None


def test_a_name_is_taken_once(store):
    from clearground.domain.errors import CleargroundError

    with store.transaction() as tx:
        tx.add_user(_user())
        tx.commit()
    with pytest.raises(CleargroundError), store.transaction() as tx:
        tx.add_user(_user(role="admin"))
        tx.commit()
    assert store.user("SYNTHETIC-ana").role == "viewer"


def test_disabling_keeps_the_user_with_who_and_when(store):
    with store.transaction() as tx:
        tx.add_user(_user())
        tx.commit()
    with store.transaction() as tx:
        tx.disable_user("SYNTHETIC-ana", at="2026-02-01T00:00:00.000000Z", by="boss")
        tx.disable_user("SYNTHETIC-ana", at="2026-03-01T00:00:00.000000Z", by="later")
        tx.commit()
    got = store.user("SYNTHETIC-ana")
    assert (got.disabled_at, got.disabled_by) == ("2026-02-01T00:00:00.000000Z", "boss")


def test_tokens_are_found_by_hash_revoked_and_touched(store):
    with store.transaction() as tx:
        tx.add_user(_user())
        first = tx.add_token("sync", "SYNTHETIC-ana", "a" * 64, at="2026-01-02T00:00:00Z", by="t")
        second = tx.add_token("qgis", "SYNTHETIC-ana", "b" * 64, at="2026-01-03T00:00:00Z", by="t")
        assert tx.token(first).name == "sync"
        tx.commit()
    assert second > first
    assert store.token_by_hash("a" * 64).id == first
    assert store.token_by_hash("c" * 64) is None
    with store.transaction() as tx:
        tx.touch_token(first, "2026-01-04T00:00:00Z")
        tx.revoke_token(second, at="2026-01-05T00:00:00Z", by="boss")
        tx.revoke_token(second, at="2026-01-06T00:00:00Z", by="later")
        tx.commit()
    a, b = store.tokens()
    assert (a.id, a.last_used_at, a.revoked) == (first, "2026-01-04T00:00:00Z", False)
    assert (b.revoked_at, b.revoked_by) == ("2026-01-05T00:00:00Z", "boss")


def test_a_token_needs_an_existing_user(store):
    from clearground.domain.errors import CleargroundError

    with pytest.raises(CleargroundError), store.transaction() as tx:
        tx.add_token("orphan", "nobody", "d" * 64, at="2026-01-02T00:00:00Z", by="t")
        tx.commit()
    assert store.tokens() == []


def test_sessions_start_and_end_once(store):
    with store.transaction() as tx:
        tx.add_user(_user())
        at, expires = "2026-01-01T00:00:00Z", "2026-01-02"
        tx.add_session("e" * 64, "SYNTHETIC-ana", at=at, expires_at=expires)
        tx.commit()
    assert store.session("e" * 64).ended_at is None
    with store.transaction() as tx:
        tx.end_session("e" * 64, "2026-01-01T01:00:00Z")
        tx.end_session("e" * 64, "2026-01-01T02:00:00Z")
        tx.commit()
    assert store.session("e" * 64).ended_at == "2026-01-01T01:00:00Z"
    assert store.session("f" * 64) is None


def test_account_events_keep_their_order_and_detail(store):
    events = [
        AccountEvent("2026-01-01T00:00:00Z", "boss", "user_added", "ana", {"role": "viewer"}),
        AccountEvent("2026-01-01T00:00:01Z", "boss", "user_disabled", "ana"),
    ]
    with store.transaction() as tx:
        for e in events:
            tx.add_account_event(e)
        tx.commit()
    assert store.account_events() == events


def test_a_rolled_back_transaction_leaves_no_account_row(store):
    with store.transaction() as tx:
        tx.add_user(_user())
        tx.add_token("sync", "SYNTHETIC-ana", "a" * 64, at="2026-01-02T00:00:00Z", by="t")
        tx.add_account_event(AccountEvent("2026-01-01T00:00:00Z", "t", "user_added", "x"))
        # no commit
    assert store.users() == [] and store.tokens() == [] and store.account_events() == []
