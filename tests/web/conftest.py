"""Web tests build their own app in process over a real database (each engine), and start a
real server on a free loopback port where a real client is the point."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.serving import free_port, serving  # noqa: F401  (free_port: for the web tests)


@pytest.fixture
def settings(store_url, monkeypatch):
    from clearground.config import load_settings

    monkeypatch.delenv("CLEARGROUND_CONFIG", raising=False)
    return load_settings(None, db=store_url, author="tester")


@pytest.fixture
def client(settings) -> Iterator:
    from fastapi.testclient import TestClient

    from clearground.web import create_app

    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def server(store_url, tmp_path) -> Iterator[str]:
    """``clearground serve`` as a real process on a free loopback port; its output is printed
    when a test fails."""
    log = tmp_path / "serve.log"
    try:
        with serving(store_url, log) as base:
            yield base
    finally:
        if log.exists():
            print(log.read_text())
