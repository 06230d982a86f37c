"""The sign-in and sign-out forms are open to everyone, so their bodies are bounded before
anyone is known: declared past ``upload_limit_mb`` they are refused unread (413), sent without a
length they are cut there (413); a form within it is read as usual."""

from __future__ import annotations

import pytest


@pytest.fixture
def small(settings):
    from fastapi.testclient import TestClient

    from clearground.web import create_app

    settings = settings.model_copy(update={"upload_limit_mb": 0.01})  # 10 KiB
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        yield c


FORM = {"content-type": "application/x-www-form-urlencoded"}


@pytest.mark.parametrize("path", ["/login", "/logout"])
def test_a_declared_oversized_form_is_refused_unread(small, path):
    body = b"csrf_token=x&name=" + b"a" * 200_000
    r = small.post(path, content=body, headers=FORM, follow_redirects=False)
    assert r.status_code == 413, r.text
    assert "upload_limit_mb" in r.text


@pytest.mark.parametrize("path", ["/login", "/logout"])
def test_a_form_without_a_length_is_cut_at_the_limit(small, path):
    def chunks():
        yield b"csrf_token=x&name="
        for _ in range(100):
            yield b"a" * 4096

    r = small.post(path, content=chunks(), headers=FORM, follow_redirects=False)
    assert r.status_code == 413, r.text


def test_a_form_within_the_limit_is_read(small):
    r = small.post("/login", data={"name": "", "password": ""}, follow_redirects=False)
    assert r.status_code == 400 and "password" in r.text
    r = small.post("/logout", data={"csrf_token": "x"}, follow_redirects=False)
    assert r.status_code == 303
