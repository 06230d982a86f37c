"""A throwaway PostgreSQL + PostGIS cluster for tests and benchmarks, on a free loopback port.

Why a module of its own: the test session and ``benchmarks/spatial_query.py`` start the cluster
the same way. ``initdb`` refuses to run as root, so as root the cluster belongs to the
``postgres`` OS user (``runuser -u postgres -- ...``); as anyone else it belongs to that user.
Everything lives in one temporary directory (data, log, unix socket) removed by ``stop()``.
Authentication is ``trust``, and only on 127.0.0.1 and the private socket directory.
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

__all__ = ["PgCluster", "PgClusterError", "find_bindir", "schema_name"]

DATABASE = "clearground_test"
SUPERUSER = "postgres"


class PgClusterError(RuntimeError):
    """The cluster could not be started; the message says which step failed and why."""


_WATCHDOG = """
import json, os, shutil, subprocess, sys
sys.stdin.buffer.read()  # EOF: the owner stopped the cluster, or died
stop, root = json.loads(sys.argv[1]), sys.argv[2]
if os.path.isdir(root):
    subprocess.run(stop, capture_output=True, timeout=60, check=False)
    shutil.rmtree(root, ignore_errors=True)
"""


def find_bindir() -> Path | None:
    """The newest PostgreSQL server ``bin`` directory (Debian layout first, then ``PATH``)."""
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
        key=lambda p: int(re.search(r"/(\d+)/bin/", p).group(1)),  # type: ignore[union-attr]
        reverse=True,
    )
    if candidates:
        return Path(candidates[0]).parent
    pg_ctl = shutil.which("pg_ctl")
    return Path(pg_ctl).parent if pg_ctl else None


def schema_name(node_id: str) -> str:
    """A valid, unique PostgreSQL schema name (at most 63 bytes) for a pytest node id."""
    digest = hashlib.sha1(node_id.encode()).hexdigest()[:8]
    stem = re.sub(r"[^a-z0-9]+", "_", node_id.rsplit("/", 1)[-1].lower()).strip("_")
    return f"t_{stem[: 63 - 2 - 9]}_{digest}"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgCluster:
    """One PostgreSQL cluster in a temporary directory, with a database that has PostGIS.

    Use as a context manager, or call ``start()`` and ``stop()``. ``url()`` gives a libpq URL,
    optionally with a ``search_path`` whose first schema is ``schema`` (PostGIS stays in
    ``public``, so its types and functions resolve).
    """

    def __init__(self, *, database: str = DATABASE) -> None:
        self.database = database
        self.bindir = find_bindir()
        self.root: Path | None = None
        self.port: int | None = None
        self._as_postgres = os.geteuid() == 0
        self._watchdog: subprocess.Popen | None = None

    # -- lifecycle -------------------------------------------------------------------------------

    def _run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        cmd = list(args)
        if self._as_postgres:
            cmd = ["runuser", "-u", SUPERUSER, "--", *cmd]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
        if proc.returncode != 0:
            raise PgClusterError(
                f"{Path(args[0]).name} failed (exit {proc.returncode}): "
                f"{(proc.stderr or proc.stdout).strip()[-2000:]}"
            )
        return proc

    def start(self) -> PgCluster:
        """initdb, start on a free port and create the database with the PostGIS extension."""
        if self.bindir is None:
            raise PgClusterError(
                "PostgreSQL server binaries not found (Debian: apt-get install postgresql-15 "
                "postgresql-15-postgis-3)"
            )
        self.root = Path(tempfile.mkdtemp(prefix="clearground-pg-"))
        atexit.register(self.stop)
        if self._as_postgres:
            shutil.chown(self.root, SUPERUSER, SUPERUSER)
        data = self.root / "data"
        self._run(
            str(self.bindir / "initdb"),
            "-D",
            str(data),
            "-U",
            SUPERUSER,
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        )
        last_error: PgClusterError | None = None
        for _ in range(5):  # the port can be taken between choosing it and binding it
            port = _free_port()
            opts = (
                f"-p {port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
            )
            try:
                self._run(
                    str(self.bindir / "pg_ctl"),
                    "-D",
                    str(data),
                    "-l",
                    str(self.root / "log"),
                    "-w",
                    "-t",
                    "60",
                    "-o",
                    opts,
                    "start",
                )
            except PgClusterError as exc:
                last_error = PgClusterError(f"{exc}\n{self.log_tail()}")
                continue
            self.port = port
            break
        else:
            assert last_error is not None
            raise last_error
        self._start_watchdog(data)
        self._create_database()
        return self

    def _start_watchdog(self, data: Path) -> None:
        """A small process that stops the server and removes its directory if we die.

        ``atexit`` and ``finally`` do not run when the test run or benchmark is killed (a CI
        timeout, SIGKILL); the watchdog reads a pipe from this process and cleans up on EOF,
        which comes however this process ends. After a normal ``stop()`` it finds nothing to do.
        """
        assert self.root is not None and self.bindir is not None
        stop = [str(self.bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]
        if self._as_postgres:
            stop = ["runuser", "-u", SUPERUSER, "--", *stop]
        self._watchdog = subprocess.Popen(
            [sys.executable, "-c", _WATCHDOG, json.dumps(stop), str(self.root)],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # a Ctrl-C to our process group must not kill it first
        )

    def _create_database(self) -> None:
        import psycopg

        with psycopg.connect(self.url(database="postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.database}"')
        with psycopg.connect(self.url(), autocommit=True) as conn:
            try:
                conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
            except psycopg.Error as exc:
                raise PgClusterError(
                    f"PostgreSQL runs but PostGIS is missing: {exc} "
                    "(Debian: apt-get install postgresql-15-postgis-3)"
                ) from exc

    def log_tail(self, n: int = 20) -> str:
        """The last lines of the server log, to show why a start failed."""
        if self.root is None or not (self.root / "log").exists():
            return ""
        return "\n".join((self.root / "log").read_text(errors="replace").splitlines()[-n:])

    def stop(self) -> None:
        """Stop the server (immediately: its data is thrown away) and remove the directory."""
        if self.root is None:
            return
        root, self.root = self.root, None
        if self.port is not None and self.bindir is not None:
            with contextlib.suppress(PgClusterError, subprocess.TimeoutExpired):
                self._run(
                    str(self.bindir / "pg_ctl"),
                    "-D",
                    str(root / "data"),
                    "-m",
                    "immediate",
                    "-w",
                    "stop",
                    timeout=60,
                )
        self.port = None
        for _ in range(3):
            shutil.rmtree(root, ignore_errors=True)
            if not root.exists():
                break
            time.sleep(0.2)
        if self._watchdog is not None:
            watchdog, self._watchdog = self._watchdog, None
            assert watchdog.stdin is not None
            watchdog.stdin.close()
            with contextlib.suppress(subprocess.TimeoutExpired):
                watchdog.wait(10)

    def server(self, action: str, *, mode: str = "fast") -> None:
        """``pg_ctl stop|start|restart`` on the same data and port (fault-injection tests:
        ``mode`` is ``fast`` or ``immediate``); waits until done."""
        if self.root is None or self.port is None or self.bindir is None:
            raise PgClusterError("the cluster is not running")
        opts = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        args = [str(self.bindir / "pg_ctl"), "-D", str(self.root / "data"), "-w", "-t", "60"]
        if action in ("stop", "restart"):
            args += ["-m", mode]
        if action in ("start", "restart"):
            args += ["-l", str(self.root / "log"), "-o", opts]
        self._run(*args, action)

    def __enter__(self) -> PgCluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- addresses -------------------------------------------------------------------------------

    def url(
        self,
        *,
        database: str | None = None,
        schema: str | None = None,
        application_name: str | None = None,
    ) -> str:
        """A ``postgresql://`` URL on 127.0.0.1; ``schema`` goes first in ``search_path``."""
        if self.port is None:
            raise PgClusterError("the cluster is not running")
        params = []
        if schema is not None:
            params.append("options=" + quote(f"-csearch_path={schema},public", safe=""))
        if application_name is not None:
            params.append("application_name=" + quote(application_name, safe=""))
        query = ("?" + "&".join(params)) if params else ""
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database or self.database}{query}"

    def reset_schema(self, schema: str, *, create: bool = True) -> None:
        """Drop ``schema`` (ending any connection left in it) and create it again if asked.

        Connections of a test are named after its schema (``application_name``), so one left
        open by a failing test cannot block the drop.
        """
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = %s AND pid <> pg_backend_pid()",
                (schema,),
            )
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            if create:
                conn.execute(f'CREATE SCHEMA "{schema}"')
