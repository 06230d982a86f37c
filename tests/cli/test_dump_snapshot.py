"""A dump is one snapshot: taken while a writer commits NTS imports throughout it, on each engine,
it restores (restore's verification accepts it) and is internally consistent; the same reads
made apart are not, and restore refuses what they give."""

from __future__ import annotations

import threading
from contextlib import contextmanager

import pytest
import shapely

from clearground.services.activities import import_activities
from clearground.services.dump import dump, restore
from clearground.services.hazards import import_hazards
from clearground.services.projections import Reader
from clearground.services.restore_checks import verify_dump
from clearground.store import open_store
from clearground.store.mapping import KINDS
from tests.helpers import write_layer

HAZARD = shapely.box(30.0, 50.0, 30.01, 50.01)


class Writer(threading.Thread):
    """Imports one small NTS after another on HA-000001 until stopped, each its own commit."""

    def __init__(self, url: str, folder) -> None:
        super().__init__(daemon=True)
        self.url, self.folder = url, folder
        self.commits = 0
        self.changed = threading.Condition()
        self.stop = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        store = open_store(self.url)
        try:
            i = 0
            while not self.stop.is_set() and i < 45:
                x = 30.0 + i * 0.0002
                src = write_layer(
                    self.folder / f"nts{i}.geojson",
                    [shapely.box(x, 50.0, x + 0.0002, 50.0002)],
                    {
                        "hazard_id": ["HA-000001"],
                        "kind": ["nts"],
                        "date": ["2024-01-01"],
                        "organisation": [f"SYNTHETIC team {i}"],
                    },
                )
                import_activities(store, src, author="writer")
                i += 1
                with self.changed:
                    self.commits += 1
                    self.changed.notify_all()
        except BaseException as exc:  # reported by the test
            self.error = exc
        finally:
            store.close()

    def wait_for_commit(self) -> None:
        """Return once the writer has committed one more import than now."""
        with self.changed:
            seen = self.commits
            assert self.changed.wait_for(lambda: self.commits > seen or not self.is_alive(), 60)


class _Hooked:
    """The store a dump sees, but a writer commits between its read of hazards and the rest."""

    def __init__(self, store, writer: Writer) -> None:
        self._store, self._writer = store, writer

    def __getattr__(self, name):
        return getattr(self._store, name)

    @contextmanager
    def snapshot(self):
        with self._store.snapshot() as snap:
            yield _HookedReads(snap, self._writer)


class _HookedReads:
    def __init__(self, reads, writer: Writer) -> None:
        self._reads, self._writer = reads, writer

    def __getattr__(self, name):
        return getattr(self._reads, name)

    def raw_versions(self, kind: str):
        rows = self._reads.raw_versions(kind)
        if kind == "hazard":
            self._writer.wait_for_commit()
        return rows


@pytest.fixture
def started(store_url, tmp_path):
    store = open_store(store_url)
    src = write_layer(tmp_path / "h.geojson", [HAZARD], {"name": ["SYNTHETIC"]})
    import_hazards(store, src, author="tester")
    writer = Writer(store_url, tmp_path)
    writer.start()
    writer.wait_for_commit()
    yield store, writer
    writer.stop.set()
    writer.join(60)
    store.close()
    assert writer.error is None, writer.error


def test_a_dump_during_imports_is_one_snapshot_and_restores(started, tmp_path):
    store, writer = started
    for n in range(3):  # the writer commits during each dump (between its reads, at least once)
        out = tmp_path / f"dump{n}.gpkg"
        before = writer.commits
        dump(_Hooked(store, writer), out, Reader.of(["victim_data"]))
        assert writer.commits > before
        target = open_store(f"sqlite:///{tmp_path / f'restored{n}.db'}")
        counts = restore(target, out)  # restore's verification accepts it
        activities = target.list("activity")
        assert counts["activity"] == len(activities) >= 1
        # every activity's hazard version and events are there: one version per NTS
        history = target.history("hazard", "HA-000001")
        assert len(history) == 1 + len(activities)
        events = target.events("HA-000001")
        released = {e.evidence for e in events if e.kind == "AreaReleased"}
        assert released == {a.id for a in activities}
        h = history[-1].record
        assert h.released.cancelled == pytest.approx(sum(a.record.released_m2 for a in activities))
        target.close()
    assert not writer.error


def test_the_same_reads_made_apart_are_refused_by_restore(started, tmp_path):
    """What dumps did before they were one snapshot: every kind read on its own."""
    store, writer = started
    rows = {}
    for kind in KINDS:
        rows[kind] = store.raw_versions(kind)
        if kind == "hazard":
            writer.wait_for_commit()  # a write commits between two reads
    events = store.all_events()
    problems = verify_dump(
        {k: [(*r[:6], r[6], r[7]) for r in v] for k, v in rows.items()},
        events,
        {k: k for k in KINDS},
    )
    # the activity committed after the hazards were read has no hazard version in them (and
    # others, committed between later reads, may lack their activity or their events)
    assert problems, "reads made apart gave a consistent dump"
    signs = ("matches no version", "is not a activity", "no AreaReleased event")
    assert all(any(s in p for s in signs) for p in problems), problems
