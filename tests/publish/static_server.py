"""A static file server for a published directory, as a CDN would serve it: on a free 127.0.0.1
port, honouring ``Range:`` requests (206 with ``Content-Range``, ``Accept-Ranges: bytes``; 416
for a range past the end), which Python's http.server does not. FlatGeobuf's and PMTiles'
readers fetch only the bytes they need by such requests.

``with serve(directory) as base: ...`` (base: ``http://127.0.0.1:PORT/``); ``requests`` on the
server object records each request's path and range, for tests that count what was fetched.
Run as a script to serve a directory: ``python tests/publish/static_server.py DIR [PORT]``.
"""

from __future__ import annotations

import os
import re
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

__all__ = ["RangeRequestHandler", "serve"]

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


class RangeRequestHandler(SimpleHTTPRequestHandler):
    """SimpleHTTPRequestHandler with single byte ranges (what the tile and FlatGeobuf readers
    ask for); a multi-range or malformed header gets the whole file, as RFC 9110 allows."""

    extensions_map = {
        **SimpleHTTPRequestHandler.extensions_map,
        ".js": "text/javascript",
        ".mjs": "text/javascript",
        ".json": "application/json",
        ".fgb": "application/octet-stream",
        ".pmtiles": "application/octet-stream",
        ".geojson": "application/geo+json",
        ".wasm": "application/wasm",
    }

    def log_message(self, format: str, *args) -> None:  # quiet: tests read server.requests
        pass

    def end_headers(self) -> None:
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Cache-Control", "no-cache")
        super().end_headers()

    def send_head(self):
        self.server.requests.append((self.path, self.headers.get("Range")))
        header = self.headers.get("Range")
        path = self.translate_path(self.path)
        if header is None or os.path.isdir(path):
            return super().send_head()
        match = _RANGE.match(header.strip())
        if not match or not os.path.isfile(path):
            return super().send_head()
        size = os.path.getsize(path)
        first, last = match.groups()
        if first == "" and last == "":
            return super().send_head()
        if first == "":  # the last N bytes
            start, end = max(0, size - int(last)), size - 1
        else:
            start = int(first)
            end = min(size - 1, int(last)) if last else size - 1
        if start >= size or start > end:
            self.send_response(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE)
            self.send_header("Content-Range", f"bytes */{size}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        f = open(path, "rb")  # noqa: SIM115 - closed by copyfile's caller (do_GET)
        f.seek(start)
        self._remaining = end - start + 1
        self.send_response(HTTPStatus.PARTIAL_CONTENT)
        self.send_header("Content-Type", self.guess_type(path))
        self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.send_header("Content-Length", str(self._remaining))
        self.end_headers()
        return f

    def copyfile(self, source, outputfile) -> None:
        remaining = getattr(self, "_remaining", None)
        if remaining is None:
            return super().copyfile(source, outputfile)
        while remaining > 0:
            chunk = source.read(min(65536, remaining))
            if not chunk:
                break
            outputfile.write(chunk)
            remaining -= len(chunk)
        self._remaining = None


@contextmanager
def serve(directory: str | os.PathLike, port: int = 0) -> Iterator[ThreadingHTTPServer]:
    """Serve ``directory`` on 127.0.0.1 (a free port unless ``port``) until the block ends; the
    server's ``base`` is its URL with a trailing slash."""
    handler = partial(RangeRequestHandler, directory=os.fspath(directory))
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    server.daemon_threads = True
    server.requests = []
    server.base = f"http://127.0.0.1:{server.server_address[1]}/"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


if __name__ == "__main__":
    with serve(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 0) as s:
        print(f"serving {sys.argv[1]} at {s.base}", flush=True)
        threading.Event().wait()
