"""Passwords never reach a message: every form, masked by the one function (store/secrets.py),
in our own messages and in the CLI's output when a connection fails."""

from __future__ import annotations

import pytest

from clearground.cli import main
from clearground.domain.errors import BadInput, DatabaseUnavailable
from clearground.store import errors, strip_password
from clearground.store.secrets import check_url, mask, remember


@pytest.mark.parametrize(
    ("url", "secret", "shown"),
    [
        ("postgresql://u:Ab:cdSECRET@host/db", "Ab:cdSECRET", "postgresql://u:***@host/db"),
        ("postgresql://u:p@ss@host/db", "p@ss", "postgresql://u:***@host/db"),
        ("postgresql://u:pa/ss@host/db", "pa/ss", "postgresql://u:***@host/db"),
        ("postgresql://u:s3cr%21t@host/db", "s3cr%21t", "postgresql://u:***@host/db"),
        (
            "postgresql://u@host/db?sslmode=require&password=WrongPw1&application_name=x",
            "WrongPw1",
            "postgresql://u@host/db?sslmode=require&password=***&application_name=x",
        ),
        ("postgresql://u@host/db?password=WrongPw1", "WrongPw1", None),
    ],
)
def test_every_password_form_in_a_url_is_masked(url, secret, shown):
    for masked in (mask(url), strip_password(url), errors.scrub(f"error at {url}: failed")):
        assert secret not in masked and "***" in masked
    if shown:
        assert mask(url) == shown


def test_a_conninfo_string_and_a_driver_echo_are_masked():
    assert mask("host=h password=Hunter2x dbname=d") == "host=h password=*** dbname=d"
    assert mask("password='a b c' user=u") == "password=*** user=u"
    url = "postgresql://u:p@ssword99@host/db"
    remember(url)
    # what libpq says for it: the part after the first "@" read as the host name
    echo = 'could not translate host name "ssword99@host" to address'
    assert "ssword99" not in mask(echo)


def test_pgpassword_is_masked_wherever_it_is_echoed(monkeypatch):
    monkeypatch.setenv("PGPASSWORD", "EnvPw-4711")
    assert mask('FATAL: password "EnvPw-4711" rejected') == 'FATAL: password "***" rejected'


@pytest.mark.parametrize(
    "url", ["postgresql://u:p@ss@host/db", "postgresql://u:pa/ss@host/db", "postgres://a@b@c/d"]
)
def test_urls_libpq_would_misread_are_refused_naming_the_encoding(url):
    with pytest.raises(BadInput) as caught:
        check_url(url)
    assert "%40" in caught.value.message and "PGPASSWORD" in caught.value.message
    assert "ss@" not in caught.value.message


def test_urls_libpq_reads_rightly_pass():
    for url in (
        "postgresql://u:Ab:cd@host/db",
        "postgresql://u:p%40ss@host/db",
        "postgresql://u:p?ss@host/db",
        "postgresql://host/db?password=x",
        "postgresql:///db",
    ):
        check_url(url)


@pytest.mark.parametrize(
    ("url", "secret"),
    [
        ("postgresql://u:Ab:cdSECRET@127.0.0.1:1/x?connect_timeout=2", "cdSECRET"),
        ("postgresql://u@127.0.0.1:1/x?connect_timeout=2&password=WrongPw1", "WrongPw1"),
        ("postgresql://u:p@ssW0rd@127.0.0.1:1/x", "ssW0rd"),
    ],
)
def test_the_cli_never_shows_a_password(url, secret, capsys, monkeypatch):
    pytest.importorskip("psycopg")
    monkeypatch.setenv("PGPASSWORD", "EnvPw-4711")
    code = main(["hazards", "list", "--db", url])
    out, err = capsys.readouterr()
    assert code in (DatabaseUnavailable.exit_code, BadInput.exit_code)
    assert secret not in out + err and "EnvPw-4711" not in out + err
    assert "Traceback" not in err
