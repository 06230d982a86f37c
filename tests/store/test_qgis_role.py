"""The README's read-only QGIS role does what the README says, on a real PostgreSQL + PostGIS.

Why: a least-privilege role that is only described could quietly grant too much (victims'
personal data) or too little (QGIS cannot open a layer). The SQL block under the
``qgis-reader-sql`` marker in README.md is run here as it is, on a database set up as "Set up
PostgreSQL" says (an owner role that is not a superuser, ``CREATE EXTENSION postgis`` by a
superuser, ``clearground init`` by the owner), and then the role is tried.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import errors as pgerrors

from clearground.domain.records import VictimPersonalData
from clearground.store import open_store
from clearground.store.mapping import KINDS, PERSONAL_KINDS
from tests.conftest import feature_assert_or_skip
from tests.helpers import hazard

pytestmark = pytest.mark.postgis

README = Path(__file__).resolve().parents[2] / "README.md"
MARKER = "<!-- qgis-reader-sql"
DATABASE = "clearground"  # the names the README uses, so that its SQL runs unchanged
OWNER = "clearground"
READER = "qgis_reader"
#: Views the reader must not see: personal data, and submissions not yet reviewed.
WITHHELD = {KINDS[k].view for k in PERSONAL_KINDS} | {KINDS["submission"].view}


def readme_sql() -> str:
    """The ```sql block that follows the marker in README.md."""
    text = README.read_text()
    start = text.find(MARKER)
    assert start >= 0, f"README.md has no {MARKER} marker"
    block = re.search(r"```sql\n(.*?)```", text[start:], re.S)
    assert block, "no ```sql block after the qgis-reader-sql marker in README.md"
    return block.group(1)


def _url(cluster, user: str, database: str) -> str:
    return f"postgresql://{user}@127.0.0.1:{cluster.port}/{database}"


def _drop(admin: psycopg.Connection) -> None:
    admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    for role in (READER, "someone_else", OWNER):
        admin.execute(f"DROP ROLE IF EXISTS {role}")


@pytest.fixture
def national(pg_cluster) -> Iterator[tuple[object, str]]:
    """A ``clearground`` database made as the README says, with one hazard and one victim's
    personal data in it, and the README's reader role; yields the cluster and the reader's URL."""
    if isinstance(pg_cluster, str):
        feature_assert_or_skip(False, pg_cluster)
    admin = psycopg.connect(pg_cluster.url(database="postgres"), autocommit=True)
    try:
        _drop(admin)
        admin.execute(f"CREATE ROLE {OWNER} LOGIN")
        admin.execute(f"CREATE DATABASE {DATABASE} OWNER {OWNER}")
        with psycopg.connect(pg_cluster.url(database=DATABASE), autocommit=True) as su:
            su.execute("CREATE EXTENSION postgis")  # once, by a superuser
        store = open_store(_url(pg_cluster, OWNER, DATABASE))  # the rest as the owner
        try:
            store.migrate()
            with store.transaction() as tx:
                tx.insert("hazard", [hazard("HA-000001")], author="ana", reason="test")
                secret = VictimPersonalData("AC-000001/1", "AC-000001", 1, name="SYNTHETIC Name")
                tx.insert("victim_personal", [secret], author="ana", reason="test")
                tx.commit()
        finally:
            store.close()
        with psycopg.connect(pg_cluster.url(database=DATABASE), autocommit=True) as su:
            su.execute(readme_sql())
        admin.execute("CREATE ROLE someone_else LOGIN")
        yield pg_cluster, _url(pg_cluster, READER, DATABASE)
    finally:
        _drop(admin)
        admin.close()


def _refused(conn: psycopg.Connection, sql: str, error=pgerrors.InsufficientPrivilege) -> None:
    with pytest.raises(error), conn.transaction():
        conn.execute(sql)


def test_readme_grants_every_current_view_but_personal_data_and_submissions():
    granted = set(re.findall(r"\b(\w+_current)\b", readme_sql()))
    expected = {m.view for m in KINDS.values()} - WITHHELD
    assert granted == expected, "README's GRANT SELECT list differs from the record kinds' views"
    assert "victim_personal" not in readme_sql()


def test_reader_sees_the_layers(national):
    _, url = national
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT fid, id, status, ST_SRID(geom), GeometryType(geom) FROM hazard_areas_current"
        ).fetchall()
        assert [r[1:] for r in rows] == [("HA-000001", "active", 4326, "MULTIPOLYGON")]
        for view in sorted({m.view for m in KINDS.values()} - WITHHELD):
            conn.execute(f"SELECT * FROM {view} LIMIT 1").fetchall()
        # what QGIS reads to list the layers and their coordinate system
        listed = conn.execute(
            "SELECT f_table_name FROM geometry_columns WHERE f_table_name = 'hazard_areas_current'"
        ).fetchall()
        assert listed == [("hazard_areas_current",)]
        srs = conn.execute("SELECT srtext FROM spatial_ref_sys WHERE srid = 4326").fetchone()
        assert srs and "WGS 84" in srs[0]


def test_reader_cannot_see_personal_data_tables_or_submissions(national):
    _, url = national
    with psycopg.connect(url) as conn:
        for table in (
            "victim_personal_current",
            "victim_personal_versions",
            "hazard_area_versions",
            "submissions_current",
            "hazard_events",
        ):
            _refused(conn, f"SELECT * FROM {table}")


def test_reader_cannot_write(national):
    _, url = national
    with psycopg.connect(url) as conn:
        # read-only by default (ALTER ROLE ... SET), and where a session switches that off,
        # every write is still refused by privilege
        assert conn.execute("SHOW default_transaction_read_only").fetchone() == ("on",)
        conn.execute("SET default_transaction_read_only = off")
        conn.commit()
        for sql in (
            "INSERT INTO hazard_areas_current (id) VALUES ('HA-999999')",
            "UPDATE hazard_area_versions SET reason = 'x'",
            "DELETE FROM hazard_areas_current",
            "INSERT INTO victim_personal_versions (id, version, valid_from, author, reason) "
            "VALUES ('x', 1, 'now', 'me', 'x')",
            "CREATE TABLE public.mine (x int)",
            "CREATE TEMP TABLE scratch (x int)",
        ):
            _refused(conn, sql)


def test_other_roles_cannot_connect_but_the_owner_still_can(national):
    cluster, _ = national
    with pytest.raises(psycopg.OperationalError, match="permission denied"):
        psycopg.connect(_url(cluster, "someone_else", DATABASE)).close()
    store = open_store(_url(cluster, OWNER, DATABASE))
    try:
        assert store.count("hazard") == 1
    finally:
        store.close()
