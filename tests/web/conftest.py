"""Web tests build their own app in process over a real database (each engine), and start a
real server on a free loopback port where a real client is the point."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest


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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(store_url, tmp_path) -> Iterator[str]:
    """``clearground serve`` as a real process on a free loopback port; its output is printed
    when a test fails."""
    import urllib.request

    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "clearground.cli",
                "--db",
                store_url,
                "serve",
                "--port",
                str(port),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1).read()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("server did not start:\n" + log.read_text()) from None
                time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        print(log.read_text())
