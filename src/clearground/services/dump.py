"""Move a whole database, history included, between engines through one GeoPackage.

The dump is an ordinary GeoPackage that QGIS opens: one layer per record kind holding every
version of every record (id, version, valid_from, author, reason, deleted, payload as JSON, and the
geometry, empty for a deletion), a table of hazard events, and a small ``clearground_dump`` table
that says what it is. ``restore`` fills a new, empty database and refuses one that holds anything.

Victims' personal data goes into a dump only for a reader with the ``victim_data`` permission;
anyone else dumps ``without_personal_data`` (no personal kinds, no personal fields; the
``clearground_dump`` table says so), or is refused.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from clearground.domain.errors import BadInput, Forbidden, ImportRejected
from clearground.services.projections import (
    PERSONAL_FIELDS,
    PUBLIC,
    VICTIM_DATA,
    Reader,
    redact_payload,
)
from clearground.services.restore_checks import verify_dump
from clearground.store import strip_password
from clearground.store.base import Event, Snapshot, Store, highest_number, now_utc
from clearground.store.ledger import LedgerEntry
from clearground.store.mapping import KINDS, PERSONAL_KINDS
from clearground.store.retry import retrying

__all__ = ["DUMP_FORMAT", "dump", "personal_data_in", "restore"]

DUMP_FORMAT = "clearground-dump-1"
_VERSION_FIELDS = ["id", "version", "valid_from", "author", "reason", "deleted", "payload"]
_EVENT_FIELDS = ["hazard_id", "kind", "evidence", "at", "author", "detail"]
_GEOMETRY_TYPE = {"MULTIPOLYGON": "MultiPolygon", "POINT": "Point", "GEOMETRY": "Unknown"}


def _payload_text(payload: Any) -> str | None:
    if payload is None:
        return None
    return payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)


def _without_personal_fields(kind: str, payload: Any) -> Any:
    if payload is None or (kind not in PERSONAL_FIELDS and kind != "submission"):
        return payload
    decoded = json.loads(payload) if isinstance(payload, str | bytes) else payload
    return redact_payload(kind, decoded, PUBLIC)


def dump(
    store: Store, path: str | Path, reader: Reader, *, without_personal_data: bool = False
) -> dict[str, int]:
    """Write every version of every record and every event to a new GeoPackage.

    Victims' personal data is included only for a reader with ``victim_data``; anyone else must
    ask for ``without_personal_data``, which leaves out the personal kinds and fields.
    """
    path = Path(path)
    if path.suffix.lower() != ".gpkg":
        raise BadInput(f"{path}: a dump is a GeoPackage; name it FILE.gpkg")
    if not without_personal_data and not reader.victim_data:
        raise Forbidden(
            f"a dump holds victims' personal data, which needs the {VICTIM_DATA} permission; "
            "dump with --without-personal-data to leave it out"
        )
    if not path.parent.is_dir():
        raise BadInput(f"{path}: no folder {path.parent} to write the dump in")
    # Written beside the target and renamed into place only when whole: a failed dump leaves an
    # older file as it was.
    partial = path.with_name(f".{path.stem}.{os.getpid()}.partial.gpkg")
    partial.unlink(missing_ok=True)
    try:
        with store.snapshot() as snap:  # every read in one snapshot: no write lands half in it
            counts = _write(snap, strip_password(store.url), partial, without_personal_data)
        os.replace(partial, path)
    except OSError as exc:
        raise BadInput(f"{path}: the dump could not be written ({exc.strerror or exc})") from None
    except Exception as exc:
        import pyogrio.errors

        if isinstance(exc, pyogrio.errors.DataSourceError | pyogrio.errors.DataLayerError):
            raise BadInput(f"{path}: the dump could not be written ({exc})") from None
        raise
    finally:
        partial.unlink(missing_ok=True)
    return counts


def _write(snap: Snapshot, source: str, path: Path, without_personal_data: bool) -> dict[str, int]:
    import pyogrio

    counts: dict[str, int] = {}
    for kind, m in KINDS.items():
        if without_personal_data and kind in PERSONAL_KINDS:
            continue
        rows = snap.raw_versions(kind)
        if without_personal_data:
            rows = [(*r[:6], _without_personal_fields(kind, r[6]), *r[7:]) for r in rows]
        counts[kind] = len(rows)
        columns = [
            np.array([r[0] for r in rows], dtype=object),
            np.array([r[1] for r in rows], dtype=np.int64),
            np.array([r[2] for r in rows], dtype=object),
            np.array([r[3] for r in rows], dtype=object),
            np.array([r[4] for r in rows], dtype=object),
            np.array([int(bool(r[5])) for r in rows], dtype=np.int64),
            np.array([_payload_text(r[6]) for r in rows], dtype=object),
        ]
        wkb = np.array([None if r[7] is None else bytes(r[7]) for r in rows], dtype=object)
        pyogrio.raw.write(
            path,
            wkb,
            columns,
            _VERSION_FIELDS,
            layer=f"{m.table}_versions",
            driver="GPKG",
            geometry_type=_GEOMETRY_TYPE[m.geometry_type],
            crs="EPSG:4326",
        )
    events = snap.all_events()
    counts["events"] = len(events)
    pyogrio.raw.write(
        path,
        None,
        [
            np.array(
                [getattr(e, f) if f != "detail" else json.dumps(e.detail) for e in events],
                dtype=object,
            )
            for f in _EVENT_FIELDS
        ],
        _EVENT_FIELDS,
        layer="hazard_events",
        driver="GPKG",
    )
    ledger = [e.as_dict() for e in snap.imports()]
    counts["imports"] = len(ledger)
    pyogrio.raw.write(
        path,
        None,
        [np.array([json.dumps(e, ensure_ascii=False) for e in ledger], dtype=object)],
        ["entry"],
        layer="import_ledger",
        driver="GPKG",
    )
    meta = {
        "format": DUMP_FORMAT,
        "schema_version": str(snap.schema_version()),
        "dumped_at": now_utc(),
        "source": source,
        "sequences": json.dumps(snap.sequences()),
        "note": "every version of every record; open the *_versions layers in QGIS",
        "personal_data": "omitted" if without_personal_data else "included",
    }
    pyogrio.raw.write(
        path,
        None,
        [np.array(list(meta), dtype=object), np.array(list(meta.values()), dtype=object)],
        ["key", "value"],
        layer="clearground_dump",
        driver="GPKG",
    )
    return counts


def personal_data_in(path: str | Path) -> bool:
    """Whether a dump holds victims' personal data (dumps made before this was recorded did)."""
    names, (keys, values), _ = _read(Path(path), "clearground_dump", geometry=False)
    return dict(zip(keys, values, strict=True)).get("personal_data", "included") == "included"


def _read(path: Path, layer: str, *, geometry: bool) -> tuple[list[str], list, Any]:
    import pyogrio

    meta, _, wkb, fields = pyogrio.raw.read(path, layer=layer, read_geometry=geometry)
    return list(meta["fields"]), [f.tolist() for f in fields], wkb


def _rows(path: Path, layer: str) -> list[tuple]:
    """The versions of one dumped layer as (id, version, valid_from, author, reason, deleted,
    payload text, WKB); a row that is not of that shape is refused by name."""
    names, cols, wkb = _read(path, layer, geometry=True)
    col = dict(zip(names, cols, strict=True))
    missing = [f for f in _VERSION_FIELDS if f not in col]
    if missing:
        raise ImportRejected([f"{path}:{layer}: no column {', '.join(missing)}"])
    out = []
    for i in range(len(col["id"])):
        try:
            version = int(col["version"][i])
        except (TypeError, ValueError):
            raise ImportRejected(
                [f"{path}:{layer}: {col['id'][i]} version {col['version'][i]!r} is not a number"]
            ) from None
        out.append(
            (
                col["id"][i],
                version,
                col["valid_from"][i],
                col["author"][i],
                col["reason"][i],
                bool(col["deleted"][i]),
                col["payload"][i],
                None if wkb is None or wkb[i] is None else bytes(wkb[i]),
            )
        )
    return out


def _events(path: Path) -> list[Event]:
    names, cols, _ = _read(path, "hazard_events", geometry=False)
    col = dict(zip(names, cols, strict=True))
    events = []
    for i in range(len(col["hazard_id"])):
        try:
            detail = json.loads(col["detail"][i])
        except (TypeError, ValueError):
            detail = None
        if not isinstance(detail, dict):
            raise ImportRejected([f"{path}:hazard_events: event {i + 1}: detail is not JSON"])
        events.append(
            Event(
                col["hazard_id"][i],
                col["kind"][i],
                col["evidence"][i],
                col["at"][i],
                col["author"][i],
                detail,
            )
        )
    return events


def _imports(path: Path) -> list[LedgerEntry]:
    """The dumped import ledger (dumps made before it was kept have none)."""
    names, cols, _ = _read(path, "import_ledger", geometry=False)
    out = []
    for n, text in enumerate(dict(zip(names, cols, strict=True)).get("entry", []), start=1):
        try:
            e = json.loads(text)
            out.append(
                LedgerEntry(
                    kind=str(e["kind"]),
                    checksum=str(e["checksum"]),
                    layer=str(e["layer"] or ""),
                    source=str(e["source"]),
                    author=str(e["author"]),
                    at=str(e["at"]),
                    count=int(e["count"]),
                    ids=[str(i) for i in e["ids"]],
                    again=bool(e["again"]),
                    files={str(k): str(v) for k, v in e["files"].items()},
                )
            )
        except (TypeError, ValueError, KeyError, AttributeError):
            raise ImportRejected([f"{path}:import_ledger: entry {n} is not an import"]) from None
    return out


def _sequence_problems(rows: dict[str, list[tuple]], text: str | None) -> list[str]:
    """A sequence behind the ids its kind holds would give out ids that exist (a dump whose
    sequences were read apart from its records)."""
    try:
        sequences = {str(k): int(v) for k, v in json.loads(text or "{}").items()}
    except (TypeError, ValueError, AttributeError):
        return ["clearground_dump: sequences is not a JSON object of numbers"]
    out = []
    for kind, kind_rows in rows.items():
        highest = highest_number(KINDS[kind].prefix, [str(r[0]) for r in kind_rows])
        if highest > sequences.get(kind, 0):
            out.append(
                f"clearground_dump: the {kind} sequence is at {sequences.get(kind, 0)}, behind "
                f"the ids the dump holds (up to {highest})"
            )
    return out


@retrying
def restore(store: Store, path: str | Path) -> dict[str, int]:
    """Fill an empty database from a dump: every version, event and id sequence, or nothing.

    Every record is verified first (``services.restore_checks``: JSON, geometry, status and
    enum values, references, and each hazard's history replayed against its activities, QC
    samples and events); the emptiness of the database is checked inside the write transaction.
    """
    import pyogrio

    path = Path(path)
    if not path.exists():
        raise ImportRejected([f"{path}: file not found"])
    try:
        layers = {str(name) for name, _ in pyogrio.list_layers(path)}
    except Exception as exc:  # GDAL says why in its own words
        raise ImportRejected([f"{path}: cannot read the dump: {exc}"]) from None
    if "clearground_dump" not in layers:
        raise ImportRejected([f"{path}: not a clearground dump (no clearground_dump table)"])
    names, (keys, values), _ = _read(path, "clearground_dump", geometry=False)
    meta = dict(zip(keys, values, strict=True))
    if meta.get("format") != DUMP_FORMAT:
        raise ImportRejected([f"{path}: dump format {meta.get('format')!r}, not {DUMP_FORMAT}"])
    store.migrate()
    if int(meta["schema_version"]) > store.schema_version():
        raise BadInput(f"{path}: made by a newer clearground (schema {meta['schema_version']})")
    rows: dict[str, list[tuple]] = {}
    layer_of: dict[str, str] = {}
    for kind, m in KINDS.items():
        layer = f"{m.table}_versions"
        layer_of[kind] = f"{path.name}:{layer}"
        rows[kind] = _rows(path, layer) if layer in layers else []
    events = _events(path) if "hazard_events" in layers else []
    imports = _imports(path) if "import_ledger" in layers else []
    problems = verify_dump(rows, events, layer_of)
    problems += _sequence_problems(rows, meta.get("sequences"))
    if problems:
        raise ImportRejected([f"{path}: nothing restored: {p}" for p in problems])
    counts: dict[str, int] = {}
    with store.transaction() as tx:
        held = tx.holdings()  # inside the write transaction: no writer can add any meanwhile
        if held:
            raise BadInput(
                f"{strip_password(store.url)}: not empty ({', '.join(held)}): restore fills a "
                "new, empty database"
            )
        for kind in KINDS:
            tx.restore_raw(kind, rows[kind])
            counts[kind] = len(rows[kind])
        tx.restore_events(events)
        counts["events"] = len(events)
        for entry in imports:
            tx.record_import(entry)
        counts["imports"] = len(imports)
        for kind, last in json.loads(meta.get("sequences") or "{}").items():
            tx.set_sequence(kind, int(last))
        tx.commit()
    return counts
