"""Every file of the bad-input corpus (tests/data/make_bad.py) is refused: exit code 2, one line
per problem naming the file (and the feature), and the database exactly as it was."""

from __future__ import annotations

import re

import pytest
import shapely

from clearground.store import open_store
from tests.data.make_bad import CASES, SECRET, write_layer
from tests.helpers import snapshot

_LINE = re.compile(r"^\S.*?(:feature \d+)?: \S")


def _snapshot(url):
    s = open_store(url)
    try:
        return snapshot(s)
    finally:
        s.close()


@pytest.fixture
def seeded(cli, tmp_path):
    seed = write_layer(
        tmp_path / "seed.geojson",
        [shapely.box(30, 51, 30.01, 51.01), shapely.box(30.02, 51, 30.03, 51.01)],
        {"name": ["SYNTHETIC seed 1", "SYNTHETIC seed 2"]},
        driver="GeoJSON",
    )
    r = cli("import", "hazards", seed)
    assert r.code == 0, r.err
    return cli


@pytest.mark.parametrize("case", CASES)
def test_bad_file_is_refused_with_a_reason_per_line_and_nothing_changes(seeded, bad_corpus, case):
    cli = seeded
    bad = bad_corpus[case]
    before = _snapshot(cli.url)
    r = cli("import", "hazards", bad.path, *bad.args)
    assert r.code == 2, (r.out, r.err)
    assert bad.fragment in r.err, r.err
    head, *lines = r.err.strip().splitlines()
    assert re.fullmatch(r"\d+ problems?; nothing was imported", head), head
    assert lines and all(line.startswith(str(bad.path)) for line in lines), lines
    assert all(_LINE.match(line) for line in lines), lines
    assert SECRET not in r.out + r.err
    after = _snapshot(cli.url)
    assert after == before
    assert SECRET not in repr(after)
