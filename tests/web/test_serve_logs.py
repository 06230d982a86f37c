"""``clearground serve`` as operators run it: JSON lines on stderr (one per request, with its
id, and never a password, token, cookie or victim's name), the request id echoed, and
``--workers 2`` serving the same database on each engine."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.serving import free_port
from tests.web import ogc_fixtures
from tests.web.ogc_fixtures import NAME, NEEDLES

ogc_db = ogc_fixtures.ogc_db

PASSWORD = "SYNTHETIC Horsebattery 7734"


def _call(url: str, *, data: bytes | None = None, headers: dict | None = None):
    """(status, headers, body) of one request; an HTTP error is an answer, not a failure."""
    req = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


def _lines(log: Path, *, want: int, timeout: float = 10) -> list[dict]:
    """The log's lines as JSON (every line must be one), once ``want`` access lines are in."""
    deadline = time.monotonic() + timeout
    while True:
        text = log.read_text()
        lines = [json.loads(line) for line in text.splitlines() if line.strip()]
        access = [x for x in lines if x.get("logger") == "clearground.web.access"]
        if len(access) >= want or time.monotonic() > deadline:
            return lines
        time.sleep(0.1)


@pytest.fixture
def accounts(ogc_db) -> str:
    """A viewer with a password, and a Bearer token of theirs."""
    from clearground.services import accounts as acc
    from clearground.store import open_store

    s = open_store(ogc_db)
    try:
        acc.add_user(s, "vik", role="viewer", password=PASSWORD, actor="t")
        return acc.create_token(s, "gis", user="vik", actor="t")[1]
    finally:
        s.close()


def test_every_request_is_one_json_line_without_secrets_or_personal_data(
    ogc_db, accounts, server, tmp_path
):
    token = accounts
    status, headers, body = _call(
        server + "/api/v1/login",
        data=json.dumps({"name": "vik", "password": PASSWORD}).encode(),
        headers={"Content-Type": "application/json", "X-Request-ID": "login-1"},
    )
    assert status == 200 and headers["X-Request-ID"] == "login-1"
    cookie = headers["Set-Cookie"].split(";")[0]
    status, _, _ = _call(server + "/api/v1/me", headers={"Cookie": cookie})
    assert status == 200
    # a query value that could hold personal data: a victim's name searched for
    search = urllib.request.quote(f"name = '{NAME}'")
    status, headers, _ = _call(
        f"{server}/ogc/collections/accidents/items?filter={search}",
        headers={"Authorization": f"Bearer {token}", "X-Request-ID": "bad id\twith tab"},
    )
    assert status == 400  # accidents have no name property
    made = headers["X-Request-ID"]
    assert made != "bad id\twith tab" and made.isalnum()
    status, headers, body = _call(
        server + "/api/v1/hazards/HA-999999", headers={"X-Request-ID": "trace:42.a-b_c"}
    )
    assert status == 404 and headers["X-Request-ID"] == "trace:42.a-b_c"
    assert json.loads(body)["request_id"] == "trace:42.a-b_c"  # problem+json quotes it too
    status, _, _ = _call(server + "/api/v1/login", data=b'{"name": "vik", "password": "x"}')
    assert status in (400, 401)

    log = tmp_path / "serve.log"
    lines = _lines(log, want=5)
    access = [x for x in lines if x.get("logger") == "clearground.web.access"]
    by_id = {x["request_id"]: x for x in access}
    assert by_id["login-1"]["method"] == "POST" and by_id["login-1"]["status"] == 200
    assert by_id[made]["path"] == "/ogc/collections/accidents/items"
    assert by_id[made]["query"] == ["filter"]  # its name, not its value
    assert by_id[made]["status"] == 400 and by_id[made]["user"] == "vik"
    assert by_id[made]["role"] == "viewer"
    assert by_id["trace:42.a-b_c"]["status"] == 404
    for x in access:
        assert set(x) >= {"time", "request_id", "method", "path", "status", "duration_ms"}
        assert isinstance(x["duration_ms"], float) and x["duration_ms"] >= 0
    text = log.read_text()
    for secret in (PASSWORD, "Horsebattery", token, cookie.split("=", 1)[1], *NEEDLES):
        assert secret not in text, secret


def _serve(url: str, log: Path, *args: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "CLEARGROUND_AUTHOR": "tester"}
    env.pop("CLEARGROUND_SECRET_KEY", None)
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "clearground.cli", "--db", url, "serve", "--port", str(port)]
            + list(args),
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1).read()
            return proc, base
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError("server did not start:\n" + log.read_text()) from None
            time.sleep(0.2)


def _children(pid: int) -> set[int]:
    out: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        out.update(int(x) for x in text)
    return out


@pytest.fixture
def two_workers(ogc_db, accounts, tmp_path) -> Iterator[tuple[str, int, Path]]:
    log = tmp_path / "workers.log"
    proc, base = _serve(ogc_db, log, "--workers", "2")
    try:
        yield base, proc.pid, log
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        print(log.read_text())


def test_two_workers_serve_the_same_database_and_sessions(two_workers, ogc_db):
    from concurrent.futures import ThreadPoolExecutor

    base, pid, log = two_workers
    workers = _children(pid)
    assert len(workers) >= 2, workers
    status, headers, body = _call(
        base + "/api/v1/login",
        data=json.dumps({"name": "vik", "password": PASSWORD}).encode(),
        headers={"Content-Type": "application/json"},
    )
    assert status == 200, body
    cookie = headers["Set-Cookie"].split(";")[0]

    def ask(i: int) -> tuple[int, int, int]:
        """A signed-in read (the session is known to whichever worker answers), a public
        read with the store's count, and the health with the schema version."""
        me, _, who = _call(base + "/api/v1/me", headers={"Cookie": cookie})
        assert json.loads(who)["name"] == "vik"
        items, _, page = _call(base + "/ogc/collections/hazard_areas/items?limit=100")
        health, _, h = _call(base + "/healthz")
        assert json.loads(page)["numberMatched"] == ogc_fixtures.N_HAZARDS
        assert json.loads(h)["schema_version"] > 0
        return me, items, health

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(ask, range(48)))
    assert set(answers) == {(200, 200, 200)}
    lines = _lines(log, want=1 + 48 * 3)
    access = [x for x in lines if x.get("logger") == "clearground.web.access"]
    assert len(access) >= 1 + 48 * 3
    served_by = {x["pid"] for x in access}
    assert served_by <= workers  # answered by the workers, not by the supervisor
    assert PASSWORD not in log.read_text() and cookie.split("=", 1)[1] not in log.read_text()
