"""A lost reply to COMMIT: the import is committed but the user sees an error; run again, it is
refused as "already imported at T" and nothing is imported twice.

A small TCP proxy on a loopback port forwards to the test cluster. Once the client has sent the
import ledger's INSERT, the proxy forwards the next COMMIT to the server, swallows the server's
reply and drops the connection: the import is committed, the client never hears of it.
"""

from __future__ import annotations

import contextlib
import socket
import threading

import shapely

from clearground.cli import main
from clearground.store import open_store
from tests.helpers import write_layer

_COMMIT = b"Q\x00\x00\x00\x0bCOMMIT\x00"  # a simple-protocol Query message "COMMIT"


class CommitDroppingProxy:
    """127.0.0.1:port -> the cluster; drops the connection after the ledger's COMMIT."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.dropped = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self.target_port))
            state = {"armed": False, "mute": False, "replied": threading.Event()}
            threading.Thread(target=self._up, args=(client, server, state), daemon=True).start()
            threading.Thread(target=self._down, args=(server, client, state), daemon=True).start()

    def _up(self, client: socket.socket, server: socket.socket, state: dict) -> None:
        seen = b""
        try:
            while data := client.recv(65536):
                seen = (seen + data)[-200_000:]
                if b"INSERT INTO import_ledger" in seen and not self.dropped.is_set():
                    state["armed"] = True
                if state["armed"] and _COMMIT in data:
                    state["mute"] = True  # nothing more reaches the client
                    server.sendall(data)  # the server gets the COMMIT ...
                    state["replied"].wait(10)  # ... and answers it (swallowed)
                    self.dropped.set()
                    break
                server.sendall(data)
        except OSError:
            pass
        for s in (client, server):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()

    def _down(self, server: socket.socket, client: socket.socket, state: dict) -> None:
        try:
            while data := server.recv(65536):
                if state["mute"]:
                    state["replied"].set()
                    continue
                client.sendall(data)
        except OSError:
            pass

    def close(self) -> None:
        self.listener.close()


def test_a_retry_after_a_lost_commit_reply_imports_nothing(
    postgis_url, pg_cluster, tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("CLEARGROUND_AUTHOR", "tester")
    monkeypatch.delenv("CLEARGROUND_CONFIG", raising=False)
    s = open_store(postgis_url)
    s.migrate()
    proxy = CommitDroppingProxy(pg_cluster.port)
    via_proxy = postgis_url.replace(f"127.0.0.1:{pg_cluster.port}/", f"127.0.0.1:{proxy.port}/")
    assert via_proxy != postgis_url
    via_proxy += ("&" if "?" in via_proxy else "?") + "sslmode=disable"
    boxes = [shapely.box(30 + i * 0.02, 50, 30.01 + i * 0.02, 50.01) for i in range(50)]
    src = write_layer(
        tmp_path / "h.geojson", boxes, {"name": [f"SYNTHETIC {i}" for i in range(50)]}
    )
    capsys.readouterr()
    code = main(["--db", via_proxy, "import", "hazards", str(src)])
    err = capsys.readouterr().err
    proxy.close()
    assert proxy.dropped.is_set(), "the proxy saw no COMMIT after the ledger's INSERT"
    assert code == 5, err  # the connection was lost: a database error, not a traceback
    assert "Traceback" not in err
    # the import was committed, with its ledger row
    assert s.count("hazard") == 50
    (entry,) = s.imports()
    assert entry.ids[0] == "HA-000001" and entry.ids[-1] == "HA-000050"
    # the user runs it again, directly: refused, nothing imported twice
    code = main(["--db", postgis_url, "import", "hazards", str(src)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert f"{src}: already imported at {entry.at} by tester (ids HA-000001..HA-000050)" in err
    assert s.count("hazard") == 50 and len(s.imports()) == 1
    s.close()
