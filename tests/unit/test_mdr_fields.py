"""MDR fields of land release in the field's words and in the JSON form exports write, so that
an exported activity imports again as the same record."""

from __future__ import annotations

import numpy as np
import pytest

from clearground.domain.evidence import parse_devices_found, parse_methods
from clearground.domain.records import DeviceFound, OperationalMethod

MANUAL, MECHANICAL = OperationalMethod.MANUAL, OperationalMethod.MECHANICAL


@pytest.mark.parametrize(
    "value",
    [
        "manual, mechanical",
        '["manual", "mechanical"]',
        '[ "manual", "mechanical" ]',  # as GDAL reformats JSON text
        ["manual", "mechanical"],  # as GeoJSON hands a JSON array back
        np.array(["manual", "mechanical"]),  # a GDAL string list, as it comes
        ("Manual", "mechanical", "manual"),  # any case, each once
    ],
)
def test_methods_in_words_and_as_json(value):
    assert parse_methods(value) == (MANUAL, MECHANICAL)


@pytest.mark.parametrize("value", ["", "[]", "[ ]", [], None])
def test_no_methods(value):
    assert parse_methods(value) == ()


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ('["manual", "magic"]', "method 'magic' is not manual"),
        ('["manual", 3]', "a JSON list of methods holds only their names"),
        ('[["manual"]]', "a JSON list of methods holds only their names"),
        ('["manual"', "not a valid JSON list"),
        (["manual", None], "a JSON list of methods holds only their names"),
    ],
)
def test_bad_methods_are_named(value, fragment):
    with pytest.raises(ValueError, match="methods|method") as exc:
        parse_methods(value)
    assert fragment in str(exc.value)


FOUND = (DeviceFound("PMN-2", 3, 15.0, "intact"), DeviceFound("UXO", 1, None, ""))


@pytest.mark.parametrize(
    "value",
    [
        "PMN-2: 3 @ 15 cm intact; UXO: 1",
        '[{"eo_type": "PMN-2", "count": 3, "depth_cm": 15, "condition": "intact"},'
        ' {"eo_type": "UXO", "count": 1, "depth_cm": null, "condition": ""}]',
        '[{"type": "PMN-2", "count": 3.0, "depth_cm": 15.0, "condition": "intact"},'
        ' {"type": "UXO"}]',
        [
            {"eo_type": "PMN-2", "count": 3, "depth_cm": 15.0, "condition": "intact"},
            {"eo_type": "UXO", "count": 1, "depth_cm": None, "condition": None},
        ],
    ],
)
def test_devices_found_in_words_and_as_json(value):
    assert parse_devices_found(value) == FOUND


@pytest.mark.parametrize("value", ["", "[]", "[ ]", None])
def test_no_devices_found(value):
    assert parse_devices_found(value) == ()


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ('[{"eo_type": "PMN-2", "count": 0}]', "'count' must be a whole number of 1 or more"),
        ('[{"eo_type": "PMN-2", "count": 2.5}]', "'count' must be a whole number"),
        ('[{"eo_type": "PMN-2", "count": true}]', "'count' must be a whole number"),
        ('[{"eo_type": "PMN-2", "colour": "green"}]', "write an object with eo_type"),
        ('[{"eo_type": "PMN-2", "type": "TM-62"}]', "write an object with eo_type"),
        ('["PMN-2"]', "write an object with eo_type"),
        ('[{"count": 2}]', "'eo_type' must be a non-empty text"),
        ('[{"eo_type": "UXO", "depth_cm": -1}]', "'depth_cm' must be a number of cm"),
        ('[{"eo_type": "UXO", "depth_cm": "deep"}]', "'depth_cm' must be a number of cm"),
        ('[{"eo_type": "UXO", "condition": 3}]', "'condition' must be text"),
        ('{"eo_type": "UXO"}', "write TYPE: COUNT"),
        ("[{", "not a valid JSON list"),
    ],
)
def test_bad_devices_found_are_named(value, fragment):
    with pytest.raises(ValueError, match="devices_found") as exc:
        parse_devices_found(value)
    assert fragment in str(exc.value)
