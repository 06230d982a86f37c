"""``clearground users ...`` and ``tokens ...`` on each engine: passwords only from a prompt or
standard input, weak ones refused with the reason, bad input exit 2 changing nothing, every
change recorded with its actor, a token shown once and stored only as its sha256."""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass

import pytest

from clearground.cli import main
from clearground.store import open_store

PASSWORD = "SYNTHETIC correct horse"


@dataclass
class Result:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(store_url, capsys, monkeypatch):
    """cli(*args, stdin=TEXT) -> Result on each engine's database, as user ``tester``."""
    monkeypatch.setenv("CLEARGROUND_AUTHOR", "tester")
    monkeypatch.delenv("CLEARGROUND_CONFIG", raising=False)

    def run(*args: str, stdin: str = "") -> Result:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        capsys.readouterr()
        code = main(["--db", store_url, *map(str, args)])
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


@pytest.fixture
def organisation(store):
    from clearground.domain.records import Organisation

    with store.transaction() as tx:
        tx.insert(
            "organisation",
            [Organisation(id="ORG-000001", name="SYNTHETIC Demining")],
            author="t",
            reason="t",
        )
        tx.commit()
    return "ORG-000001"


def _add(cli, name: str, role: str) -> Result:
    return cli("users", "add", name, "--role", role, "--password-stdin", stdin=PASSWORD)


def _users(store_url) -> list[dict]:
    s = open_store(store_url)
    try:
        return [u.as_dict() | {"hash": u.password_hash} for u in s.users()]
    finally:
        s.close()


def test_users_add_reads_the_password_from_stdin_and_stores_an_argon2_hash(cli, store_url):
    r = cli("users", "add", "ana", "--role", "admin", "--password-stdin", stdin=PASSWORD + "\n")
    assert r.code == 0, r.err
    assert "added user ana: admin" in r.out
    (user,) = _users(store_url)
    assert user["role"] == "admin" and user["created_by"] == "tester"
    assert user["hash"].startswith("$argon2id$") and PASSWORD not in user["hash"]
    from argon2 import PasswordHasher

    assert PasswordHasher().verify(user["hash"], PASSWORD)


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("short1", "at least 12"),
        ("aaaaaaaaaaaaaaaa", "different"),
        ("my-ana-password-x", "user name"),
        ("password1234", "well-known"),
        ("abcdefghijklmnop", "consecutive"),
    ],
)
def test_a_weak_password_is_refused_saying_why(cli, store_url, password, why):
    r = cli("users", "add", "ana", "--role", "viewer", "--password-stdin", stdin=password)
    assert r.code == 2
    assert "password refused" in r.err and why in r.err
    assert password not in r.err  # a password is never repeated
    assert _users(store_url) == []


@pytest.mark.parametrize(
    ("args", "stdin", "says"),
    [
        (("--role", "wizard"), PASSWORD, "not a role"),
        (("--role", "public"), PASSWORD, "not a role"),
        (("--role", "operator"), PASSWORD, "--organisation"),
        (("--role", "operator", "--organisation", "ORG-999999"), PASSWORD, "no such organisation"),
        (("--role", "viewer", "--permission", "victim_data"), PASSWORD, "viewers"),
        (("--role", "admin", "--permission", "launch_codes"), PASSWORD, "unknown"),
        (("--role", "admin"), "", "no password"),
        (("--role", "admin"), "\n", "no password"),
    ],
)
def test_malformed_users_add_changes_nothing(cli, store_url, args, stdin, says):
    r = cli("users", "add", "ana", *args, "--password-stdin", stdin=stdin)
    assert r.code == 2, r.out
    assert says in r.err
    assert _users(store_url) == []


@pytest.mark.parametrize("name", ["-x", "", "a b", "ana;drop", "x" * 65, "public", "é"])
def test_a_bad_user_name_is_refused(cli, store_url, name):
    r = cli("users", "add", "--role", "admin", "--password-stdin", "--", name, stdin=PASSWORD)
    assert r.code == 2
    assert _users(store_url) == []


def test_without_a_terminal_or_password_stdin_the_password_is_not_guessed(cli, store_url):
    r = cli("users", "add", "ana", "--role", "admin", stdin=PASSWORD)
    assert r.code == 2 and "--password-stdin" in r.err
    assert _users(store_url) == []


def test_the_prompt_asks_twice_and_refuses_two_different_passwords(cli, store_url, monkeypatch):
    answers = iter([PASSWORD, PASSWORD + "x"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    stdin = io.StringIO()
    stdin.isatty = lambda: True  # type: ignore[method-assign]
    monkeypatch.setattr("clearground.cli.accounts.sys.stdin", stdin)
    assert main(["--db", store_url, "users", "add", "ana", "--role", "admin"]) == 2
    assert _users(store_url) == []
    answers = iter([PASSWORD, PASSWORD])
    assert main(["--db", store_url, "users", "add", "ana", "--role", "admin"]) == 0
    assert [u["name"] for u in _users(store_url)] == ["ana"]


def test_a_password_is_no_argument(cli):
    r = cli("users", "add", "ana", "--role", "admin", "--password", PASSWORD)
    assert r.code == 2 and "No such option" in r.err


def test_a_name_is_never_reused(cli, store_url):
    assert _add(cli, "ana", "admin").code == 0
    r = cli("users", "add", "ana", "--role", "viewer", "--password-stdin", stdin=PASSWORD)
    assert r.code == 2 and "exists already" in r.err
    assert [u["role"] for u in _users(store_url)] == ["admin"]


def test_users_list_and_disable_keep_who_did_what(cli, store_url, organisation):
    add = ("--password-stdin",)
    assert cli("users", "add", "ana", "--role", "admin", *add, stdin=PASSWORD).code == 0
    r = cli(
        "users",
        "add",
        "oleh",
        "--role",
        "operator",
        "--organisation",
        organisation,
        "--permission",
        "victim_data",
        *add,
        stdin=PASSWORD,
    )
    assert r.code == 0, r.err
    assert cli("users", "disable", "oleh").code == 0
    again = cli("users", "disable", "oleh")
    assert again.code == 0 and "disabled already" in again.out
    assert cli("users", "disable", "nobody").code == 4
    listed = json.loads(cli("users", "list", "--format", "json").out)
    assert [(u["name"], u["disabled_by"]) for u in listed] == [("ana", None), ("oleh", "tester")]
    assert listed[1]["organisation"] == organisation
    assert listed[1]["permissions"] == ["victim_data"]
    assert "hash" not in json.dumps(listed) and "argon2" not in json.dumps(listed)
    table = cli("users", "list")
    assert table.code == 0 and "oleh" in table.out
    s = open_store(store_url)
    try:
        actions = [(e.actor, e.action, e.subject) for e in s.account_events()]
    finally:
        s.close()
    assert actions == [
        ("tester", "user_added", "ana"),
        ("tester", "user_added", "oleh"),
        ("tester", "user_disabled", "oleh"),
    ]


def test_tokens_create_prints_the_token_once_and_stores_its_sha256(cli, store_url):
    assert _add(cli, "ana", "viewer").code == 0
    r = cli("tokens", "create", "SYNTHETIC sync", "--user", "ana")
    assert r.code == 0, r.err
    token = r.out.strip()
    assert token.startswith("cg_") and len(token) > 40
    listed = cli("tokens", "list", "--format", "json")
    assert token not in listed.out
    (row,) = json.loads(listed.out)
    assert (row["name"], row["user"], row["created_by"], row["revoked_at"]) == (
        "SYNTHETIC sync",
        "ana",
        "tester",
        None,
    )
    s = open_store(store_url)
    try:
        assert s.token_by_hash(hashlib.sha256(token.encode()).hexdigest()).id == row["id"]
    finally:
        s.close()
    assert cli("tokens", "list").code == 0


def test_tokens_create_defaults_to_the_author_and_refuses_unknown_users(cli):
    r = cli("tokens", "create", "sync")
    assert r.code == 4 and "tester" in r.err
    assert cli("tokens", "create", "sync", "--user", "nobody").code == 4
    assert _add(cli, "tester", "admin").code == 0
    assert cli("tokens", "create", "sync").code == 0
    assert cli("tokens", "create", "", "--user", "tester").code == 2
    assert cli("tokens", "create", "a\x07b", "--user", "tester").code == 2
    assert cli("users", "disable", "tester").code == 0
    assert cli("tokens", "create", "more").code == 2


def test_tokens_revoke(cli, store_url):
    assert _add(cli, "ana", "viewer").code == 0
    assert cli("tokens", "create", "sync", "--user", "ana").code == 0
    (row,) = json.loads(cli("tokens", "list", "--format", "json").out)
    r = cli("tokens", "revoke", row["id"])
    assert r.code == 0 and "revoked token" in r.out
    assert "revoked already" in cli("tokens", "revoke", row["id"]).out
    assert cli("tokens", "revoke", "999").code == 4
    assert cli("tokens", "revoke", "x").code == 4
    (row,) = json.loads(cli("tokens", "list", "--format", "json").out)
    assert row["revoked_by"] == "tester" and row["revoked_at"]
