"""The 2 km buffers are built only for hazards with an accident or find nearby: the pre-filter in
degrees must never leave out a hazard whose buffer holds a point (SYNTHETIC points placed just
inside and just outside the buffers, at several latitudes)."""

from __future__ import annotations

import numpy as np
import shapely

from clearground.analysis.prioritise import buffers, count_in, may_be_within


def test_the_prefilter_keeps_every_hazard_whose_buffer_holds_a_point():
    rng = np.random.default_rng(3)
    lat = np.repeat([0.5, 30.0, 50.0, 70.0], 50)
    lon = rng.uniform(10.0, 12.0, len(lat))
    hazards = shapely.buffer(shapely.points(lon, lat), rng.uniform(0.0005, 0.003, len(lat)))
    zones = buffers(hazards, (2000.0,))[2000.0]
    # points on each buffer's ring, moved a little in or out from the hazard's centre
    ring = shapely.get_coordinates(shapely.get_exterior_ring(zones))
    owner = shapely.get_coordinates(shapely.get_exterior_ring(zones), return_index=True)[1]
    centre = np.column_stack((lon, lat))[owner]
    pick = rng.choice(len(ring), 3000, replace=False)
    pick = pick[owner[pick] % 3 > 0]  # a third of the hazards have no point near them
    scale = rng.uniform(0.97, 1.03, len(pick))[:, None]
    points = shapely.points(centre[pick] + (ring[pick] - centre[pick]) * scale)
    want = count_in(zones, points)
    assert 0 < (want > 0).sum() < len(hazards)  # some hazards hold points, some none
    tree = shapely.STRtree(points)
    near = may_be_within(hazards, (tree, shapely.STRtree(np.empty(0, dtype=object))), 2000.0)
    assert near[want > 0].all()  # never leaves out a hazard whose buffer holds a point
    assert not near.all()  # and does leave some out
