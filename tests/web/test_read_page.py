"""An unfiltered page (read from the store as one page) is the page the general path (every
record read, filtered, sorted) gives: the same records, count and next cursor, on both engines."""

from __future__ import annotations

from clearground.services.read import page
from tests.helpers import hazard


def test_the_plain_page_is_the_general_page(store):
    ids = [f"HA-{i:06d}" for i in range(1, 24)] + ["HA-a", "HA-B", "HA-_"]
    with store.transaction() as tx:
        tx.insert(
            "hazard",
            [hazard(i, lon=30 + k * 0.01) for k, i in enumerate(ids)],
            author="t",
            reason="SYNTHETIC",
        )
        tx.commit()
    everywhere = (-180.0, -90.0, 180.0, 90.0)  # a bbox takes the general path
    for limit in (1, 5, 26, 100):
        for offset in (0, 4, 25, 30):
            plain = page(store, "hazard", limit=limit, offset=offset)
            general = page(store, "hazard", limit=limit, offset=offset, bbox=everywhere)
            assert plain == general, (limit, offset)
        after = None
        while True:
            plain = page(store, "hazard", limit=limit, after=after)
            general = page(store, "hazard", limit=limit, after=after, bbox=everywhere)
            assert plain == general, (limit, after)
            if plain.next_after is None:
                break
            after = plain.next_after
