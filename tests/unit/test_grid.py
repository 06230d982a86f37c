"""The SQLite engine's grid index finds every box that meets a query box, whatever its size."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from clearground.store import grid


def _found(bounds: np.ndarray, query: tuple[float, float, float, float]) -> set[int]:
    cells, fids = grid.cells_of(bounds, np.arange(len(bounds)))
    hit = np.zeros(len(cells), bool)
    for lo, hi in grid.query_ranges(query):
        hit |= (cells >= lo) & (cells <= hi)
    return set(fids[hit].tolist())


def _meets(b, q) -> bool:
    return b[0] <= q[2] and b[2] >= q[0] and b[1] <= q[3] and b[3] >= q[1]


lon = st.floats(-179.9, 179.9)
lat = st.floats(-89.9, 89.9)
size = st.floats(0.0, 40.0) | st.floats(0.0, 0.01)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(lon, lat, size, size), min_size=1, max_size=30),
    st.tuples(lon, lat, size, size),
)
def test_every_box_meeting_the_query_is_a_candidate(boxes, q):
    bounds = np.array([(x, y, min(x + w, 180.0), min(y + h, 90.0)) for x, y, w, h in boxes])
    query = (q[0], q[1], min(q[0] + q[2], 180.0), min(q[1] + q[3], 90.0))
    expected = {i for i, b in enumerate(bounds) if _meets(b, query)}
    assert expected <= _found(bounds, query)


def test_one_cell_per_box_and_few_false_candidates():
    rng = np.random.default_rng(1)
    x, y = rng.uniform(22, 40, 5000), rng.uniform(44, 52, 5000)
    bounds = np.column_stack([x, y, x + 0.01, y + 0.01])
    cells, _ = grid.cells_of(bounds, np.arange(5000))
    assert len(cells) == 5000
    query = (30.0, 48.0, 30.02, 48.02)
    candidates = _found(bounds, query)
    truly = {i for i, b in enumerate(bounds) if _meets(b, query)}
    assert truly <= candidates and len(candidates) <= len(truly) + 20
