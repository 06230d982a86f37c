"""Fixtures of the format tests: the CLI runner on each engine, a fresh second database, and
the corpus of bad files (generated into tests/data/bad/ once per session by
tests/data/make_bad.py)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from clearground.store import open_store
from tests.cli.conftest import cli  # noqa: F401  (the CLI runner on sqlite and postgis)
from tests.data.make_bad import CORPUS, BadFile, write_corpus


@pytest.fixture(scope="session")
def bad_corpus() -> dict[str, BadFile]:
    """The corpus, written afresh into tests/data/bad/ (ignored by git) by its script."""
    if CORPUS.exists():
        shutil.rmtree(CORPUS)
    return write_corpus(CORPUS)


@pytest.fixture
def fresh_url(request, store_url, tmp_path) -> Iterator[str]:
    """A second empty database on the same engine as ``store_url`` (for round trips)."""
    if store_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'fresh.db'}"
        schema = None
    else:
        from tests.pgcluster import schema_name

        cluster = request.getfixturevalue("pg_cluster")
        schema = schema_name(request.node.nodeid + "#fresh")
        cluster.reset_schema(schema)
        url = cluster.url(schema=schema, application_name=schema)
    s = open_store(url)
    s.migrate()
    s.close()
    yield url
    if schema is not None:
        cluster.reset_schema(schema, create=False)
