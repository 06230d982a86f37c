"""Land release over random sequences of activities, QC samples, evidence and handovers.

After every step, on a hazard of two parts:

- the per-outcome totals add up to the released area, and each outcome's total is the area of
  the land the activities of that kind themselves hold released (``released_by``);
- the released land of different activities does not overlap;
- remaining + released = the hazard's area, and the released geometry has the released area;
- a closed or handed-over hazard has no remaining land;
- no evidence point lies in released land unless the activity that holds that land was applied
  after the evidence was recorded (evidence discredits a release; only a new activity releases
  the land again).
"""

from __future__ import annotations

from datetime import date

import shapely
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from clearground.domain.areas import geodesic_area
from clearground.domain.errors import BadInput, ReleaseRefused
from clearground.domain.evidence import reopen
from clearground.domain.landrelease import apply_activity, hand_over, return_land
from clearground.domain.records import (
    OUTCOME_OF,
    ActivityKind,
    HazardArea,
    HazardStatus,
    LandReleaseActivity,
    QCResult,
    QCSample,
)

PARTS = [shapely.box(30.0, 50.0, 30.004, 50.003), shapely.box(30.005, 50.0, 30.008, 50.004)]
GEOM = shapely.MultiPolygon(PARTS)
AREA = geodesic_area(GEOM)
TOL = AREA * 1e-7 + 1e-3  # m²: float noise of overlays

fraction = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)


def box_in(part: int, a: float, b: float, c: float, d: float) -> shapely.Polygon:
    minx, miny, maxx, maxy = PARTS[part].bounds
    (x0, x1), (y0, y1) = sorted((a, b)), sorted((c, d))
    x1, y1 = max(x1, x0 + 0.02), max(y1, y0 + 0.02)
    return shapely.box(
        minx + x0 * (maxx - minx),
        miny + y0 * (maxy - miny),
        minx + min(x1, 1.0) * (maxx - minx),
        miny + min(y1, 1.0) * (maxy - miny),
    )


class LandRelease(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.hazard = HazardArea("HA-1", "SYNTHETIC property hazard", GEOM, AREA)
        self.activities: dict[str, LandReleaseActivity] = {}
        self.applied_at: dict[str, int] = {}
        self.evidence: list[tuple[shapely.Point, int]] = []
        self.step = 0

    def _next(self) -> int:
        self.step += 1
        return self.step

    @rule(
        kind=st.sampled_from(list(ActivityKind)),
        part=st.sampled_from([0, 1, 2]),
        box=st.tuples(fraction, fraction, fraction, fraction),
    )
    def activity(self, kind, part, box):
        geom = GEOM if part == 2 else box_in(part, *box)  # 2: the whole hazard
        a = LandReleaseActivity(
            f"LR-{len(self.activities) + 1}",
            "HA-1",
            kind,
            date(2025, 1, 1),
            "SYNTHETIC op",
            geom,
        )
        try:
            self.hazard, a, _ = apply_activity(self.hazard, a)
        except ReleaseRefused:
            assert self.hazard.status in (HazardStatus.CLOSED, HazardStatus.HANDED_OVER)
            return
        self.activities[a.id] = a
        self.applied_at[a.id] = self._next()

    @rule(
        pick=st.integers(min_value=0, max_value=50),
        part=st.sampled_from([0, 1]),
        box=st.tuples(fraction, fraction, fraction, fraction),
        failed=st.booleans(),
    )
    def qc(self, pick, part, box, failed):
        if not self.activities:
            return
        a = list(self.activities.values())[pick % len(self.activities)]
        result = QCResult.FAILED if failed else QCResult.PASSED
        s = QCSample("QC", box_in(part, *box), a.id, "HA-1", date(2025, 2, 1), "QA", result)
        before = self.hazard
        self.hazard, s, _ = return_land(self.hazard, a, s)
        assert s.returned_m2 <= getattr(before.released, OUTCOME_OF[a.kind]) + TOL
        own = before.released_by.get(a.id)
        if own is not None:  # only the activity's own land comes back, off its own outcome
            for k, r in before.released_by.items():
                if k != a.id:
                    now = self.hazard.released_by[k].geometry
                    assert geodesic_area(now.symmetric_difference(r.geometry)) < TOL, k
        self._next()

    @rule(part=st.sampled_from([0, 1]), x=fraction, y=fraction)
    def evidence(self, part, x, y):
        minx, miny, maxx, maxy = PARTS[part].bounds
        point = shapely.Point(minx + x * (maxx - minx), miny + y * (maxy - miny))
        self.hazard, _ = reopen(self.hazard, f"EO-{self.step}", "uxo found", point)
        self.evidence.append((point, self._next()))

    @rule()
    def handover(self):
        try:
            self.hazard, _ = hand_over(
                self.hazard, when=date(2025, 3, 1), recipient="village", today=date(2025, 4, 1)
            )
        except ReleaseRefused:
            assert self.hazard.status is not HazardStatus.CLOSED
        except BadInput:
            raise
        self._next()

    @invariant()
    def outcomes_add_up_to_the_released_land(self):
        h = self.hazard
        r = h.released
        assert min(r.cancelled, r.reduced, r.cleared) >= -TOL
        by_outcome = {"cancelled": 0.0, "reduced": 0.0, "cleared": 0.0}
        for land in h.released_by.values():
            by_outcome[land.outcome] += geodesic_area(land.geometry)
        for outcome, m2 in by_outcome.items():
            assert abs(getattr(r, outcome) - m2) < TOL, (outcome, getattr(r, outcome), m2)
        assert abs(geodesic_area(h.released_geometry) - r.total) < TOL

    @invariant()
    def released_lands_do_not_overlap(self):
        lands = list(self.hazard.released_by.items())
        for i, (a, la) in enumerate(lands):
            for b, lb in lands[i + 1 :]:
                assert geodesic_area(la.geometry.intersection(lb.geometry)) < TOL, (a, b)

    @invariant()
    def remaining_and_released_make_the_area(self):
        h = self.hazard
        assert abs(h.remaining_m2 + h.released.total - h.area_m2) < TOL
        assert h.released_geometry.difference(GEOM).area < 1e-12

    @invariant()
    def closed_means_nothing_remains(self):
        h = self.hazard
        if h.status in (HazardStatus.CLOSED, HazardStatus.HANDED_OVER):
            assert h.remaining_m2 == 0
            assert abs(geodesic_area(h.released_geometry) - h.area_m2) < TOL

    @invariant()
    def evidence_lies_only_in_land_released_after_it(self):
        for point, at in self.evidence:
            for k, land in self.hazard.released_by.items():
                if land.geometry.covers(point):
                    assert self.applied_at[k] > at, (k, point.wkt)


LandRelease.TestCase.settings = settings(
    max_examples=120, stateful_step_count=20, deadline=None, derandomize=True
)
test_land_release_state_machine = LandRelease.TestCase
