"""Move a whole database, history included, between engines through one GeoPackage.

The dump is an ordinary GeoPackage that QGIS opens: one layer per record kind holding every
version of every record (id, version, valid_from, author, reason, deleted, payload as JSON, and the
geometry, empty for a deletion), a table of hazard events, and a small ``clearground_dump`` table
that says what it is. ``restore`` fills a new, empty database and refuses one that holds anything.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from clearground.domain.errors import BadInput, ImportRejected
from clearground.store import strip_password
from clearground.store.base import Event, Store, now_utc
from clearground.store.mapping import KINDS
from clearground.store.retry import retrying

__all__ = ["DUMP_FORMAT", "dump", "restore"]

DUMP_FORMAT = "clearground-dump-1"
_VERSION_FIELDS = ["id", "version", "valid_from", "author", "reason", "deleted", "payload"]
_EVENT_FIELDS = ["hazard_id", "kind", "evidence", "at", "author", "detail"]
_GEOMETRY_TYPE = {"MULTIPOLYGON": "MultiPolygon", "POINT": "Point", "GEOMETRY": "Unknown"}


def _payload_text(payload: Any) -> str | None:
    if payload is None:
        return None
    return payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)


def dump(store: Store, path: str | Path) -> dict[str, int]:
    """Write every version of every record and every event to a new GeoPackage."""
    import pyogrio

    path = Path(path)
    if path.suffix.lower() != ".gpkg":
        raise BadInput(f"{path}: a dump is a GeoPackage; name it FILE.gpkg")
    if path.exists():
        path.unlink()
    counts: dict[str, int] = {}
    for kind, m in KINDS.items():
        rows = store.raw_versions(kind)
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
    events = store.all_events()
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
    meta = {
        "format": DUMP_FORMAT,
        "schema_version": str(store.schema_version()),
        "dumped_at": now_utc(),
        "source": strip_password(store.url),
        "sequences": json.dumps(store.sequences()),
        "note": "every version of every record; open the *_versions layers in QGIS",
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


def _read(path: Path, layer: str, *, geometry: bool) -> tuple[list[str], list, Any]:
    import pyogrio

    meta, _, wkb, fields = pyogrio.raw.read(path, layer=layer, read_geometry=geometry)
    return list(meta["fields"]), [f.tolist() for f in fields], wkb


@retrying
def restore(store: Store, path: str | Path) -> dict[str, int]:
    """Fill an empty database from a dump: every version, event and id sequence, or nothing."""
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
    nonempty = [k for k in KINDS if store.raw_versions(k)] + (
        ["events"] if store.all_events() else []
    )
    if nonempty:
        raise BadInput(
            f"{strip_password(store.url)}: not empty ({', '.join(nonempty)}): restore fills a "
            "new, empty database"
        )
    counts: dict[str, int] = {}
    with store.transaction() as tx:
        for kind, m in KINDS.items():
            layer = f"{m.table}_versions"
            if layer not in layers:
                counts[kind] = 0
                continue
            names, cols, wkb = _read(path, layer, geometry=True)
            col = dict(zip(names, cols, strict=True))
            rows = [
                (
                    col["id"][i],
                    int(col["version"][i]),
                    col["valid_from"][i],
                    col["author"][i],
                    col["reason"][i],
                    bool(col["deleted"][i]),
                    col["payload"][i],
                    None if wkb is None or wkb[i] is None else bytes(wkb[i]),
                )
                for i in range(len(col["id"]))
            ]
            tx.restore_raw(kind, rows)
            counts[kind] = len(rows)
        if "hazard_events" in layers:
            names, cols, _ = _read(path, "hazard_events", geometry=False)
            col = dict(zip(names, cols, strict=True))
            events = [
                Event(
                    col["hazard_id"][i],
                    col["kind"][i],
                    col["evidence"][i],
                    col["at"][i],
                    col["author"][i],
                    json.loads(col["detail"][i]),
                )
                for i in range(len(col["hazard_id"]))
            ]
            tx.restore_events(events)
            counts["events"] = len(events)
        for kind, last in json.loads(meta.get("sequences") or "{}").items():
            tx.set_sequence(kind, int(last))
        tx.commit()
    return counts
