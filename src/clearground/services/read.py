"""Reading records for the command line and (later) the web: the store is read here, never in
``cli/``. No kind that holds personal data can be named: those leave only through the
projections that check the reader's permissions."""

from __future__ import annotations

from clearground.domain.errors import BadInput, NotFound
from clearground.store.base import Store, Version
from clearground.store.mapping import KINDS, PERSONAL_KINDS

__all__ = ["minefields_with_hazards", "record", "records"]

#: What a kind's record is called in a "not found" message.
LABELS = {"eo": "EO item", "qc": "QC sample", "qa": "QA visit", "eore": "EORE session"}


def _readable(kind: str) -> str:
    if kind in PERSONAL_KINDS or kind not in KINDS:
        readable = sorted(k for k in KINDS if k not in PERSONAL_KINDS)
        raise BadInput(f"unknown record kind {kind!r}; known: {', '.join(readable)}")
    return kind


def records(store: Store, kind: str, *, as_of: str | None = None) -> list[Version]:
    """The current (or ``as_of``) records of ``kind``."""
    return store.list(_readable(kind), as_of=as_of)


def record(store: Store, kind: str, record_id: str, *, as_of: str | None = None) -> Version:
    """One record of ``kind``, or ``NotFound`` naming it."""
    v = store.get(_readable(kind), record_id, as_of=as_of)
    if v is None or v.record is None:
        raise NotFound(f"{LABELS.get(kind, kind)} {record_id} not found")
    return v


def minefields_with_hazards(store: Store) -> list[tuple[Version, Version | None]]:
    """Each minefield record with the current version of the hazard it documents."""
    hazards = {v.id: v for v in store.list("hazard")}
    return [(v, hazards.get(v.record.hazard_id)) for v in store.list("minefield")]
