"""Passwords never reach a message or a log: one function, :func:`mask`, masks them in any text.

Why one function: a database URL reaches users in many ways (our own messages, the drivers'
errors, the dump's header, logs later), and each way must hide the same password forms:

- in the user part of a URL, however it is spelt (``u:Ab:cd@host``: everything after the first
  ``:``; ``u:p@ss@host``: up to the last ``@``),
- as a ``password=`` parameter (``?password=...`` or a ``key=value`` conninfo string),
- ``PGPASSWORD``'s value, and any password a URL opened in this process held (as libpq's own
  parser, ``psycopg.conninfo``, reads it), wherever a driver's text might echo it.

``mask`` only ever hides more than a password, never less; :func:`check_url` refuses the URLs
libpq would misread (an unencoded ``@`` or ``/`` in the password: libpq would take part of the
password as the host name and echo it in its error), with how to write them instead.
"""

from __future__ import annotations

import os
import re
from urllib.parse import unquote

from clearground.domain.errors import BadInput

__all__ = ["check_url", "mask", "remember"]

MASK = "***"
# scheme://TOKEN, TOKEN running to whitespace or a quote: the user part is masked up to the
# token's last "@" (a password may hold "@", ":" and "/"; over-masking a host is harmless).
_URL = re.compile(r"\b([a-zA-Z][a-zA-Z0-9+.-]*://)([^\s\"'<>]*)")
_PARAM = re.compile(r"(?i)(\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s&'\"]*)")
#: Shorter secrets are masked only where their form shows them (URL user part, password=):
#: replacing every "ab" in a message would garble it and protect little.
_MIN_SECRET = 3
_secrets: set[str] = set()


def _mask_token(scheme: str, token: str) -> str:
    at = token.rfind("@")
    if at >= 0:
        user, colon, _ = token[:at].partition(":")
        if colon:
            token = f"{user}:{MASK}{token[at:]}"
    return scheme + _PARAM.sub(lambda m: m.group(1) + MASK, token)


def mask(text: str) -> str:
    """``text`` with every password form in it replaced by ``***`` (see the module doc)."""
    if not text:
        return text
    out = _URL.sub(lambda m: _mask_token(m.group(1), m.group(2)), str(text))
    out = _PARAM.sub(lambda m: m.group(1) + MASK, out)
    known = set(_secrets)
    env = os.environ.get("PGPASSWORD")
    if env:
        known.add(env)
    for secret in sorted(known, key=len, reverse=True):  # longest first: no partial leftovers
        if len(secret) >= _MIN_SECRET and secret != MASK:
            out = out.replace(secret, MASK)
    return out


def remember(url: str) -> None:
    """Note the password(s) ``url`` holds, as libpq reads them and as the URL spells them, so
    that :func:`mask` hides them in any text, even a driver's echo of a misread URL."""
    token = url.split("://", 1)[-1]
    at = token.rfind("@")
    if at >= 0 and ":" in token[:at]:
        raw = token[:at].partition(":")[2]
        _secrets.update({raw, unquote(raw)})
        # libpq would cut such a password at an "@" or "/" and echo the rest as a host name
        _secrets.update(re.split(r"[@/]", raw, maxsplit=1)[1:] if re.search("[@/]", raw) else [])
    for m in _PARAM.finditer(url):
        value = m.group(2).strip("'")
        _secrets.update({value, unquote(value)})
    if url.startswith(("postgresql://", "postgres://")):
        try:
            from psycopg.conninfo import conninfo_to_dict
        except ImportError:  # no driver: the engine will say so; the forms above are noted
            return
        try:
            password = conninfo_to_dict(url).get("password")
        except Exception:  # a URL libpq cannot parse: it is refused when connecting
            return
        if password:
            _secrets.add(str(password))
    _secrets.discard("")


def check_url(url: str) -> None:
    """Refuse a PostgreSQL URL whose password libpq would misread (BadInput, exit 2).

    libpq ends the user part at the first ``@`` or ``/``: ``u:p@ss@host`` connects to host
    ``ss@host`` with password ``p``, and ``u:pa/ss@host`` to host ``u``, port ``pa``. Such a URL
    can only fail, and its error would show part of the password; it is refused up front."""
    token = url.split("://", 1)[-1].split("?", 1)[0]
    at, slash = token.count("@"), token.find("/")
    if at > 1 or (at == 1 and 0 <= slash < token.find("@")):
        raise BadInput(
            f"{mask(url)}: the URL has an unencoded '@' or '/' (in the password or the database "
            "name), which PostgreSQL would misread: write '@' as %40 and '/' as %2F, or give the "
            "password in PGPASSWORD or ~/.pgpass instead of the URL"
        )
