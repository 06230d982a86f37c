"""Settings: defaults, TOML file, environment, in that order of strength; all documented."""

from __future__ import annotations

from pathlib import Path

import pytest

from clearground.config import SETTINGS_HELP, Settings, load_settings
from clearground.domain.errors import BadInput

README = Path(__file__).resolve().parents[2] / "README.md"


def test_every_setting_has_a_default_and_help_and_is_in_the_readme():
    text = README.read_text()
    for name in Settings.model_fields:
        assert SETTINGS_HELP[name], name
        assert f"CLEARGROUND_{name.upper()}" in text, f"{name} missing from README"


def test_defaults(monkeypatch):
    for name in Settings.model_fields:
        monkeypatch.delenv(f"CLEARGROUND_{name.upper()}", raising=False)
    monkeypatch.delenv("CLEARGROUND_CONFIG", raising=False)
    s = load_settings()
    assert s.db == "sqlite:///clearground.db"
    assert s.region == (22.0, 44.0, 40.5, 52.5)


def test_toml_then_environment_then_arguments(tmp_path, monkeypatch):
    toml = tmp_path / "c.toml"
    toml.write_text('db = "sqlite:///from-toml.db"\nregion = [20, 40, 30, 50]\nauthor = "toml"\n')
    monkeypatch.setenv("CLEARGROUND_AUTHOR", "env")
    s = load_settings(str(toml))
    assert (s.db, s.region, s.author) == ("sqlite:///from-toml.db", (20, 40, 30, 50), "env")
    assert load_settings(str(toml), db="sqlite:///arg.db").db == "sqlite:///arg.db"
    monkeypatch.setenv("CLEARGROUND_REGION", "1,2,3,4")
    assert load_settings(str(toml)).region == (1, 2, 3, 4)


def test_bad_settings_are_bad_input(tmp_path, monkeypatch):
    monkeypatch.setenv("CLEARGROUND_REGION", "40,50,30,60")
    with pytest.raises(BadInput, match="region"):
        load_settings()
    monkeypatch.delenv("CLEARGROUND_REGION")
    with pytest.raises(BadInput, match="not found"):
        load_settings(str(tmp_path / "missing.toml"))
    bad = tmp_path / "bad.toml"
    bad.write_text("colour = 'blue'\n")
    with pytest.raises(BadInput, match="colour"):
        load_settings(str(bad))


def test_names_in_any_case_and_an_unreadable_file_is_bad_input(tmp_path, monkeypatch):
    toml = tmp_path / "c.toml"
    toml.write_text('DB = "sqlite:///upper.db"\n')
    monkeypatch.setenv("clearground_author", "lower-case env")
    s = load_settings(str(toml))
    assert (s.db, s.author) == ("sqlite:///upper.db", "lower-case env")
    broken = tmp_path / "broken.toml"
    broken.write_text('db = "no end\n')
    with pytest.raises(BadInput, match="broken.toml: cannot read the configuration file"):
        load_settings(str(broken))
