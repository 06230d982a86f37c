"""schemathesis against /openapi.json, in process on each engine: whatever it sends to any
operation, as an admin (so that writes are exercised too), the server never answers 5xx.

Bounded: a fixed number of derandomised examples per operation."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

from tests.web.api_support import sign_in_fixture  # noqa: F401 (fixture)

schemathesis = pytest.importorskip("schemathesis")

EXAMPLES = 8


def test_no_input_makes_a_server_error(client, sign_in):
    sign_in("admin", "SYNTHETIC schemathesis")
    schema = schemathesis.openapi.from_asgi("/openapi.json", client.app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 40
    seen: dict[int, int] = {}
    for operation in operations:
        label = operation.label

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case):
            response = case.call()
            seen[response.status_code] = seen.get(response.status_code, 0) + 1
            assert response.status_code < 500, (
                label,  # noqa: B023 (run() is called in this iteration)
                case.path_parameters,
                case.query,
                response.status_code,
                response.text[:500],
            )

        run()
    assert seen and max(seen) < 500
