"""The dashboard's figures (services/dashboard.py) on a small synthetic database, on each engine,
against values worked out by hand (tests/dashboard_data.py says what the data is)."""

from __future__ import annotations

import pytest

from clearground.domain.errors import BadInput
from clearground.services import dashboard
from tests import dashboard_data as d

A, HALF = d.A, d.A_HALF_2


@pytest.fixture
def data(store, tmp_path):
    return d.build(store, tmp_path)


def _approx(rows):
    return [tuple(pytest.approx(x) if isinstance(x, float) else x for x in r) for r in rows]


def test_area_released_per_month_by_outcome_with_the_gap_months_listed(store, data):
    fig = dashboard.figure(store, "released")
    assert fig.columns == (
        "month",
        "cancelled_m2",
        "reduced_m2",
        "cleared_m2",
        "released_m2",
        "activities",
    )
    assert fig.rows == _approx(d.expected_released())
    # only the land of UA01 (HA-1's NTS, HA-2's TS); a month alone
    ua01 = dashboard.figure(store, "released", dashboard.filters(area="UA01"))
    assert ua01.rows[2] == _approx([("2024-03", 0.0, HALF, 0.0, HALF, 1)])[0]
    march_b = dashboard.figure(store, "released", dashboard.filters("UA02", "2024-03"))
    assert march_b.rows == _approx([("2024-03", 0.0, 0.0, A["HA-4"], A["HA-4"], 1)])
    # a month with nothing is listed with zeros, not left out
    assert dashboard.figure(store, "released", dashboard.filters(month="2023-07")).rows == [
        ("2023-07", 0.0, 0.0, 0.0, 0.0, 0)
    ]


def test_eo_items_per_month_count_quantities_by_category(store, data):
    fig = dashboard.figure(store, "eo")
    cols = fig.columns
    assert cols[:2] == ("month", "items") and cols[-1] == "records"
    jan, feb = (dict(zip(cols, r, strict=True)) for r in fig.rows)
    assert (jan["month"], jan["items"], jan["mine_ap"], jan["uxo"], jan["records"]) == (
        "2024-01",
        3,
        3,
        0,
        1,
    )
    assert (feb["month"], feb["items"], feb["uxo"], feb["records"]) == ("2024-02", 3, 3, 2)
    raion = dashboard.figure(store, "eo", dashboard.filters(area="UA0102"))
    assert [(r[0], r[1]) for r in raion.rows] == [("2024-02", 1)]


def test_casualties_per_month_by_victim_type_and_outcome(store, data):
    fig = dashboard.figure(store, "casualties")
    assert fig.columns == (
        "month",
        "civilian_killed",
        "civilian_injured",
        "deminer_killed",
        "deminer_injured",
        "casualties",
        "accidents",
    )
    assert fig.rows == [("2024-02", 1, 1, 0, 0, 2, 1), ("2024-03", 0, 0, 0, 1, 1, 1)]
    assert dashboard.figure(store, "casualties", dashboard.filters(area="UA02")).rows == [
        ("2024-03", 0, 0, 0, 1, 1, 1)
    ]


def test_hazards_and_remaining_area_by_admin_area_below_the_chosen_one(store, data):
    fig = dashboard.figure(store, "hazards")
    assert fig.columns == (
        "pcode",
        "admin_area",
        "hazards",
        "open_hazards",
        "area_m2",
        "released_m2",
        "remaining_m2",
    )
    a_area = A["HA-1"] + A["HA-2"] + A["HA-3"]
    assert fig.rows == _approx(
        [
            (
                "UA01",
                "SYNTHETIC Oblast A",
                3,
                2,
                a_area,
                A["HA-1"] + HALF,
                A["HA-2"] - HALF + A["HA-3"],
            ),
            ("UA02", "SYNTHETIC Oblast B", 1, 0, A["HA-4"], A["HA-4"], 0.0),
        ]
    )
    below = dashboard.figure(store, "hazards", dashboard.filters(area="UA01"))
    assert below.rows == _approx(
        [
            (
                "UA0101",
                "SYNTHETIC Raion A1",
                2,
                1,
                A["HA-1"] + A["HA-2"],
                A["HA-1"] + HALF,
                A["HA-2"] - HALF,
            ),
            ("UA0102", "SYNTHETIC Raion A2", 1, 1, A["HA-3"], 0.0, A["HA-3"]),
        ]
    )


def test_operators_progress_per_organisation(store, data):
    fig = dashboard.figure(store, "operators")
    assert fig.columns[:6] == ("organisation", "name", "activities", "nts", "ts", "clearance")
    assert fig.rows == _approx(
        [
            ("ORG-1", "SYNTHETIC Operator One", 2, 1, 1, 0, A["HA-1"], HALF, 0.0, A["HA-1"] + HALF),
            ("ORG-2", "SYNTHETIC Operator Two", 1, 0, 0, 1, 0.0, 0.0, A["HA-4"], A["HA-4"]),
        ]
    )
    jan = dashboard.figure(store, "operators", dashboard.filters(month="2024-01"))
    assert [r[:3] for r in jan.rows] == [("ORG-1", "SYNTHETIC Operator One", 1)]


def test_as_of_reads_every_figure_as_the_database_was(store, data):
    past = dashboard.dashboard(store, dashboard.filters(as_of=data["before"]))
    assert past["released"].rows == [] and past["operators"].rows == []
    assert past["eo"].rows == [] and past["casualties"].rows == []
    hazards = {r[0]: r for r in past["hazards"].rows}
    assert hazards["UA01"][2:4] == (3, 3) and hazards["UA02"][2:4] == (1, 1)
    assert hazards["UA02"][6] == pytest.approx(A["HA-4"])  # nothing released yet


def test_csv_of_a_figure_has_its_header_and_rounded_numbers(store, data):
    text = dashboard.csv_text(dashboard.figure(store, "released"))
    lines = text.splitlines()
    assert lines[0] == "month,cancelled_m2,reduced_m2,cleared_m2,released_m2,activities"
    assert lines[1] == f"2024-01,{round(A['HA-1'], 2)},0.0,0.0,{round(A['HA-1'], 2)},1"
    assert lines[2] == "2024-02,0.0,0.0,0.0,0.0,0"


def test_no_personal_data_of_victims_in_any_figure(store, data):
    for fig in dashboard.dashboard(store).values():
        assert d.VICTIM_NAME not in dashboard.csv_text(fig)
        assert "+380" not in dashboard.csv_text(fig)


def test_bad_filters_are_refused_naming_them(store, data):
    with pytest.raises(BadInput, match="month '2024-13'"):
        dashboard.filters(month="2024-13")
    with pytest.raises(BadInput, match="admin area 'UA99' not found"):
        dashboard.figure(store, "eo", dashboard.filters(area="UA99"))
    with pytest.raises(BadInput, match="unknown figure 'victims'"):
        dashboard.figure(store, "victims")
    with pytest.raises(BadInput, match="as-of"):
        dashboard.filters(as_of="yesterday")


def test_an_empty_database_gives_empty_figures(store):
    store.migrate()
    figs = dashboard.dashboard(store)
    assert all(f.rows == [] for f in figs.values())


def test_counts_kept_between_pages_follow_every_committed_write(store, data):
    import shapely

    from clearground.domain.records import EOCategory, EOItem

    assert dashboard.figure(store, "eo").rows[1][1] == 3  # February: 3 items
    item = EOItem(
        id="EO-900",
        geometry=shapely.Point(30.4, 49.4),
        category=EOCategory.UXO,
        date=d.date_of("2024-02-25"),
        quantity=4,
    )
    with store.transaction() as tx:
        tx.insert("eo", [item], author="t", reason="SYNTHETIC late report")
        tx.commit()
    assert dashboard.figure(store, "eo").rows[1][1] == 7
    with store.transaction() as tx:
        tx.delete("eo", "EO-900", expected_version=1, author="t", reason="duplicate")
        tx.commit()
    assert dashboard.figure(store, "eo").rows[1][1] == 3
