"""OGC API - Features read by real clients from a real server on a free loopback port (each
engine): GDAL's OAPIF driver reads every collection with the store's counts and attributes, and
OWSLib lists the collections and pages through the items."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pyogrio
import pytest

from clearground.services.projections import PUBLIC, json_of, location_json
from clearground.store import open_store
from clearground.web.ogc.collections import COLLECTIONS
from tests.web import ogc_fixtures
from tests.web.ogc_fixtures import leaks

ogc_db = ogc_fixtures.ogc_db


@pytest.fixture
def expected(ogc_db) -> dict[str, list[dict]]:
    """Each collection's records as the CLI's JSON shows them to the public."""
    s = open_store(ogc_db)
    try:
        out = {}
        for cid, c in COLLECTIONS.items():
            show = location_json if c.kind == "location" else json_of(c.kind)
            out[cid] = [json.loads(json.dumps(show(v, PUBLIC))) for v in s.list(c.kind)]
        return out
    finally:
        s.close()


@pytest.fixture
def token(ogc_db) -> str:
    """A viewer's Bearer token: land release activities and EORE sessions are not public."""
    from clearground.services import accounts

    s = open_store(ogc_db)
    try:
        accounts.add_user(s, "vik", role="viewer", password="SYNTHETIC pass phrase", actor="t")
        return accounts.create_token(s, "gis", user="vik", actor="t")[1]
    finally:
        s.close()


def test_gdal_oapif_reads_every_collection(ogc_db, expected, server, token):
    source = f"OAPIF:{server}/ogc"
    pyogrio.set_gdal_config_options({"GDAL_HTTP_AUTH": "BEARER", "GDAL_HTTP_BEARER": token})
    try:
        _gdal_reads_every_collection(source, expected)
    finally:
        pyogrio.set_gdal_config_options({"GDAL_HTTP_AUTH": None, "GDAL_HTTP_BEARER": None})


def test_the_public_is_refused_the_items_it_may_not_read(ogc_db, server):
    import urllib.error
    import urllib.request

    for cid in ("land_release_activities", "eore_sessions"):
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(f"{server}/ogc/collections/{cid}/items", timeout=10)
        assert err.value.code == 401
    with urllib.request.urlopen(f"{server}/ogc/collections/accidents/items", timeout=10) as r:
        assert r.status == 200 and leaks(r.read().decode()) == []


def _gdal_reads_every_collection(source: str, expected: dict[str, list[dict]]) -> None:
    layers = sorted(name for name, _ in pyogrio.list_layers(source))
    assert layers == sorted(COLLECTIONS)
    for cid, want in expected.items():
        # a small page size makes GDAL follow the next links
        meta, fids, wkb, fields = pyogrio.raw.read(source, layer=cid, PAGE_SIZE=4)
        assert len(wkb) == len(want), cid
        names = list(meta["fields"])
        keys = set(want[0])
        assert keys - {"id"} <= set(names), (cid, keys - set(names))
        columns = dict(zip(names, fields, strict=True))
        key = "pcode" if cid == "admin_areas" else "id"
        assert sorted(columns[key].tolist()) == sorted(r[key] for r in want)
        by_key = {r[key]: r for r in want}
        for name in names:
            if name not in keys:
                continue
            for k, v in zip(columns[key].tolist(), columns[name].tolist(), strict=True):
                w = by_key[k][name]
                if isinstance(w, dict | list):
                    assert json.loads(v) == w if v is not None else w in ({}, []), (cid, name)
                elif isinstance(w, float):
                    assert v == pytest.approx(w), (cid, name)
                elif isinstance(v, datetime):  # GDAL reads date-times to the millisecond
                    t = datetime.fromisoformat(w).replace(tzinfo=None)
                    assert abs(v - t) < timedelta(milliseconds=1), (cid, name, k)
                elif isinstance(v, date):
                    assert v.isoformat() == w, (cid, name, k)
                elif w is not None and not isinstance(w, bool):
                    assert str(v) == str(w) or v == w, (cid, name, k, v, w)
        assert "EPSG" in meta["crs"] or "CRS84" in meta["crs"] or "4326" in meta["crs"]


def test_owslib_lists_collections_and_pages_through_items(ogc_db, expected, server, token):
    from owslib.ogcapi.features import Features

    api = Features(f"{server}/ogc/", headers={"Authorization": f"Bearer {token}"})
    listed = api.collections()
    assert [c["id"] for c in listed["collections"]] == list(COLLECTIONS)
    assert (
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core"
        in (api.conformance()["conformsTo"])
    )
    for cid, want in expected.items():
        assert api.collection(cid)["id"] == cid
        assert set(api.collection_queryables(cid)["properties"]) - {"geometry"} == set(want[0])
        got, offset, limit = [], 0, 3
        for _ in range(100):  # bounded
            page = api.collection_items(cid, limit=limit, offset=offset)
            assert page["numberMatched"] == len(want)
            got.extend(page["features"])
            if not any(link["rel"] == "next" for link in page["links"]):
                break
            offset += limit
        assert [f["properties"] for f in got] == want, cid
        assert len(got) > limit or len(want) <= limit
        one = api.collection_item(cid, got[-1]["id"])
        assert one["properties"] == want[-1]
        assert leaks(json.dumps(got)) == []
    # a filter and a bbox through OWSLib
    page = api.collection_items("hazard_areas", bbox=[30.201, 50.001, 30.202, 50.002])
    assert [f["id"] for f in page["features"]] == ["HA-000003"]
    page = api.collection_items("accidents", filter="killed = 1")
    assert [f["id"] for f in page["features"]] == ["AC-7"]
