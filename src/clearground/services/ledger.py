"""An import happens once: the import ledger, written in every import's own transaction.

Every ``import KIND FILE`` runs through :func:`import_once`. It computes the content's checksum,
refuses at once content already imported (same kind, checksum and layer) unless ``again``, and
then runs the import on a store whose transactions write the ledger row just before COMMIT: the
check is repeated there, under a lock every import takes, so two identical imports racing
cannot both pass, and a committed import always has its row (a rolled-back one has none). A
lost reply to COMMIT thus becomes, on retry, "already imported at T".

The checksum is the sha256 of the file's bytes (what ``sha256sum FILE`` prints) when the import
reads one file. When it reads others with it (the ``.csvt`` and ``.prj`` beside a CSV, the
``--victims`` file, ODK repeat files given or found beside the export), it is the sha256 of one
line ``ROLE SHA256`` per file, sorted by role; each file's own sha256 is kept in ``files``.
"""

from __future__ import annotations

import hashlib
import stat
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from clearground.domain.errors import ImportRejected
from clearground.services.common import ImportReport
from clearground.store.base import Store
from clearground.store.ledger import LedgerEntry
from clearground.store.new_rows import record_ids

__all__ = ["content_of", "id_ranges", "import_once", "imports"]

_LOCK = "import-ledger"


def _sha256(path: Path) -> str | None:
    """The sha256 of a regular file's bytes; None for anything else (the import refuses it)."""
    try:
        if not stat.S_ISREG(path.stat().st_mode):
            return None
        h = hashlib.sha256()
        with path.open("rb") as f:
            while chunk := f.read(1 << 20):
                h.update(chunk)
        return h.hexdigest()
    except OSError:
        return None


def _beside(path: Path) -> list[tuple[str, Path]]:
    """The files GDAL's convention reads beside a CSV: its column types and coordinate system."""
    if path.suffix.lower() != ".csv":
        return []
    return [(s, path.with_suffix(s)) for s in (".csvt", ".prj") if path.with_suffix(s).is_file()]


def content_of(
    path: str | Path,
    *,
    victims: str | Path | None = None,
    repeat_files: dict[str, str | Path] | None = None,
    odk: bool = False,
) -> tuple[str, dict[str, str]] | None:
    """The content checksum of an import's input and each file's sha256 by role, or None if the
    main file cannot be read as a regular file (the import then refuses it by its own words)."""
    path = Path(path)
    main = _sha256(path)
    if main is None:
        return None
    files = {"file": main}
    others: list[tuple[str, Path]] = list(_beside(path))
    if victims:
        v = Path(victims)
        others += [("victims", v)] + [(f"victims{s}", p) for s, p in _beside(v)]
    given = {k: Path(p) for k, p in (repeat_files or {}).items()}
    for name, p in given.items():
        others.append((f"repeat:{name}", p))
    if odk and path.suffix.lower() == ".csv":
        for p in sorted(path.parent.glob(f"{path.stem}-*.csv")):
            name = p.stem[len(path.stem) + 1 :]
            if name not in given:
                others.append((f"repeat:{name}", p))
    for role, p in others:
        digest = _sha256(p)
        if digest is not None:
            files[role] = digest
    if len(files) == 1:
        return main, files
    text = "".join(f"{role} {files[role]}\n" for role in sorted(files))
    return hashlib.sha256(text.encode()).hexdigest(), files


def id_ranges(ids: Sequence[str], *, most: int = 6) -> str:
    """Ids as runs: ``HA-000001..HA-000050, LR-000007``; long lists are cut with a count.

    >>> id_ranges(["HA-000001", "HA-000002", "HA-000003", "LR-000007"])
    'HA-000001..HA-000003, LR-000007'
    """
    runs: list[list[str]] = []
    last: tuple[str, int, int] | None = None
    for i in ids:
        head, _, digits = i.rpartition("-")
        key = (head, int(digits), len(digits)) if digits.isdigit() else None
        if runs and key and last and (key[0], key[2], key[1]) == (last[0], last[2], last[1] + 1):
            runs[-1][1] = i
        else:
            runs.append([i, i])
        last = key
    shown = [a if a == b else f"{a}..{b}" for a, b in runs[:most]]
    if len(runs) > most:
        shown.append(f"... ({len(ids)} ids)")
    return ", ".join(shown) if shown else "none"


def _refusal(source: str, earlier: LedgerEntry) -> ImportRejected:
    return ImportRejected(
        [
            f"{source}: already imported at {earlier.at} by {earlier.author} "
            f"(ids {id_ranges(earlier.ids)}); use --again to import it again"
        ]
    )


class _LedgeredTransaction:
    """A transaction that collects the ids it inserts and writes the ledger row at commit."""

    def __init__(self, tx: Any, owner: _LedgeredStore) -> None:
        self._tx = tx
        self._owner = owner
        self._ids: list[str] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._tx, name)

    def insert(self, kind: str, records: Sequence[Any], **kwargs: Any) -> None:
        self._tx.insert(kind, records, **kwargs)
        self._ids.extend(record_ids(records))

    def commit(self) -> None:
        o = self._owner
        if not o.recorded:
            self._tx.lock(_LOCK)  # racing imports check and write the ledger one at a time
            earlier = self._tx.find_imports(o.kind, o.checksum, o.layer)
            if earlier and not o.again:
                raise _refusal(o.source, earlier[-1])
            self._tx.record_import(
                LedgerEntry(
                    kind=o.kind,
                    checksum=o.checksum,
                    layer=o.layer,
                    source=o.source,
                    author=o.author,
                    at=self._tx.time,
                    count=len(self._ids),
                    ids=list(self._ids),
                    again=bool(earlier),
                    files=o.files,
                )
            )
        self._tx.commit()
        o.recorded = True


class _LedgeredStore:
    """The store an import sees: every other call goes to the real one."""

    def __init__(self, store: Store, **entry: Any) -> None:
        self._store = store
        self.recorded = False
        for k, v in entry.items():
            setattr(self, k, v)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    @contextmanager
    def transaction(self) -> Iterator[_LedgeredTransaction]:
        with self._store.transaction() as tx:
            yield _LedgeredTransaction(tx, self)


def import_once(
    store: Store,
    kind: str,
    path: str | Path,
    run: Callable[[Any], ImportReport],
    *,
    author: str,
    layer: str | None = None,
    again: bool = False,
    victims: str | Path | None = None,
    repeat_files: dict[str, str | Path] | None = None,
    source: str | None = None,
) -> ImportReport:
    """``run(store)`` (an import service) unless this content was imported before, recording it
    in the ledger in the import's own transaction; ``again`` imports it anyway (and says so).
    ``source`` names the file in the ledger when ``path`` is a temporary copy (an upload)."""
    content = content_of(path, victims=victims, repeat_files=repeat_files, odk=kind == "odk")
    if content is None:
        return run(store)
    checksum, files = content
    source = source or str(path)
    if not again:
        earlier = store.imports(kind=kind, checksum=checksum, layer=layer or "")
        if earlier:
            raise _refusal(source, earlier[-1])
    ledgered = _LedgeredStore(
        store,
        kind=kind,
        checksum=checksum,
        layer=layer or "",
        source=source,
        author=author,
        again=again,
        files=files,
    )
    return run(ledgered)


def imports(store: Store) -> list[LedgerEntry]:
    """The import ledger, oldest first."""
    return store.imports()
