"""A bulk import's new hazards as columns (``store.new_rows``) give the same rows, byte for byte,
as ``HazardArea`` records: their payload JSON, geometry and id, on both engines."""

from __future__ import annotations

from datetime import date

import numpy as np
import orjson
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from clearground.domain.records import Classification, HazardArea
from clearground.services.hazards import import_hazards
from clearground.store.mapping import payloads_json
from clearground.store.new_rows import NewRows, new_hazard_rows, record_geometries, record_ids
from tests.helpers import write_layer

_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
_NAME = st.one_of(st.just("SYNTHETIC hazard"), st.just(""), _TEXT)
_FLOAT = st.floats(allow_nan=False, allow_infinity=False)
_ATTRIBUTE = st.one_of(st.none(), st.booleans(), st.integers(-(2**63), 2**63 - 1), _FLOAT, _TEXT)


def _columns(draw, n: int) -> dict:
    def column(strategy):
        return draw(st.lists(strategy, min_size=n, max_size=n))

    return {
        "ids": [f"HA-{i:06d}" for i in range(1, n + 1)],
        "names": column(_NAME),
        "geometries": [
            shapely.MultiPolygon([shapely.box(30, 50, 30.01, 50.01 + i)]) for i in range(n)
        ],
        "areas": column(st.one_of(_FLOAT, st.just(0.0), st.just(1e16), st.just(1e-7))),
        "classifications": column(st.sampled_from(list(Classification))),
        "eo_types": column(st.lists(_TEXT, max_size=3).map(tuple)),
        "dates_reported": column(st.one_of(st.none(), st.dates())),
        "sources": column(_NAME),
        "admin_pcodes": column(st.sampled_from(["", "UA63", "UA6302"])),
        "land_uses": column(_NAME),
        "notes": column(st.one_of(_NAME, st.just('a "quoted",\n\\ note'))),
        "benchmarks": column(st.one_of(st.none(), st.tuples(_FLOAT, _FLOAT))),
        "attributes": column(st.dictionaries(_TEXT, _ATTRIBUTE, max_size=3)),
    }


def _records(c: dict) -> list[HazardArea]:
    return [
        HazardArea(
            id=id_,
            name=name,
            geometry=geometry,
            area_m2=area,
            classification=classification,
            eo_types=eo_types,
            date_reported=reported,
            source=source,
            admin_pcode=pcode,
            land_use=land_use,
            benchmark=benchmark,
            notes=notes,
            attributes=attributes,
        )
        for (
            id_,
            name,
            geometry,
            area,
            classification,
            eo_types,
            reported,
            source,
            pcode,
            land_use,
            notes,
            benchmark,
            attributes,
        ) in zip(
            c["ids"],
            c["names"],
            c["geometries"],
            c["areas"],
            c["classifications"],
            c["eo_types"],
            c["dates_reported"],
            c["sources"],
            c["admin_pcodes"],
            c["land_uses"],
            c["notes"],
            c["benchmarks"],
            c["attributes"],
            strict=True,
        )
    ]


@st.composite
def hazard_columns(draw) -> dict:
    return _columns(draw, draw(st.integers(1, 8)))


@settings(max_examples=300, deadline=None)
@given(hazard_columns())
def test_payloads_are_those_of_the_records_byte_for_byte(columns):
    rows = new_hazard_rows(**columns)
    records = _records(columns)
    assert rows.payloads == payloads_json("hazard", records)
    assert payloads_json("hazard", rows) == rows.payloads
    assert record_ids(rows) == record_ids(records) == columns["ids"]
    assert list(record_geometries(rows)) == record_geometries(records)


def test_slices_are_rows_and_single_rows_are_refused():
    columns = {k: list(v) for k, v in _example().items()}
    rows = new_hazard_rows(**columns)
    part = rows[1:3]
    assert isinstance(part, NewRows) and len(part) == 2
    assert part.payloads == rows.payloads[1:3] and part.ids == ["HA-000002", "HA-000003"]
    try:
        rows[0]
    except TypeError as exc:
        assert "sliced" in str(exc)
    else:
        raise AssertionError("a single row was handed out")


def _example() -> dict:
    n = 3
    return {
        "ids": [f"HA-{i:06d}" for i in range(1, n + 1)],
        "names": ["SYNTHETIC a", 'SYNTHETIC "b"', "SYNTHETIC ü"],
        "geometries": [shapely.MultiPolygon([shapely.box(30, 50, 30.01, 50.01)])] * n,
        "areas": [1.5, 100.0, 2.25],
        "classifications": [Classification.SHA, Classification.CHA, Classification.SHA],
        "eo_types": [("IED",), (), ("AP mine", "UXO")],
        "dates_reported": [date(2023, 1, 2), None, date(2024, 5, 6)],
        "sources": ["SYNTHETIC survey", "", ""],
        "admin_pcodes": ["", "UA63", ""],
        "land_uses": ["", "", "forest"],
        "notes": ["", "line 1\nline 2", ""],
        "benchmarks": [None, (30.005, 50.005), None],
        "attributes": [{}, {"colour": "red", "depth": 2.5}, {}],
    }


def test_the_engines_store_rows_as_they_store_records(store):
    """Rows inserted as columns read back as the same records as ``HazardArea``s inserted."""
    columns = _example()
    records = _records(columns)
    as_rows = {**columns, "ids": [f"HA-{i:06d}" for i in range(11, 14)]}
    with store.transaction() as tx:
        tx.insert("hazard", records, author="SYNTHETIC tester", reason="records")
        tx.insert("hazard", new_hazard_rows(**as_rows), author="SYNTHETIC tester", reason="rows")
        tx.commit()
    for record, row_id in zip(records, as_rows["ids"], strict=True):
        a = store.get("hazard", record.id).record
        b = store.get("hazard", row_id).record
        assert b.id == row_id
        b.id = a.id
        assert repr(a) == repr(b)
        assert a.geometry.equals_exact(b.geometry, 0)
    raw = {r[0]: orjson.loads(r[6]) for r in store.raw_versions("hazard")}
    for record, row_id in zip(records, as_rows["ids"], strict=True):
        assert raw[record.id] == raw[row_id]


def test_an_import_stores_each_records_own_payload_text(sqlite_store, tmp_path):
    """The payload text stored by an import is the record's serialisation, byte for byte."""
    n = 12
    boxes = [shapely.box(30 + i * 0.02, 50, 30.01 + i * 0.02, 50.01) for i in range(n)]
    src = write_layer(
        tmp_path / "h.gpkg",
        boxes,
        {
            "id": np.array(["X-1" if i == 3 else "" for i in range(n)], dtype=object),
            "name": np.array([f'SYNTHETIC "{i}", ü\\' if i % 2 else "" for i in range(n)]),
            "classification": np.array(["SHA", "CHA", "sha"] * 4),
            "eo_types": np.array(["IED", "", "AP mine;UXO"] * 4),
            "date_reported": np.array(["2023-12-17", "", "2021-02-03"] * 4),
            "notes": np.array(["", "SYNTHETIC\nnote"] * 6),
            "benchmark_lon": np.array(
                [30.005 + i * 0.02 if i % 4 == 0 else np.nan for i in range(n)]
            ),
            "benchmark_lat": np.array([50.005 if i % 4 == 0 else np.nan for i in range(n)]),
            "colour": np.array(["red", "", "blüe"] * 4),
            "depth": np.arange(n) * 0.5,
        },
    )
    report = import_hazards(sqlite_store, src, author="SYNTHETIC tester")
    assert len(report.ids) == n
    stored = {r[0]: r[6] for r in sqlite_store.raw_versions("hazard")}
    assert set(stored) == set(report.ids)
    for id_, text in stored.items():
        record = sqlite_store.get("hazard", id_).record
        assert text == payloads_json("hazard", [record])[0]
    assert "attributes" in stored["X-1"] and '"benchmark":[30.005' in stored[report.ids[0]]
