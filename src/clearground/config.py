"""Settings: defaults, then a TOML file, then ``CLEARGROUND_*`` environment variables.

Built once where the program starts and passed down; nothing reads configuration at import time.
The sources are merged here (a few lines) and checked by pydantic: pydantic-settings, which did
the merging, cost every command a tenth of a second to import.
"""

from __future__ import annotations

import getpass
import os
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from clearground.domain.errors import BadInput
from clearground.domain.validation import Region

__all__ = ["KNOWN_PERMISSIONS", "Settings", "load_settings", "SETTINGS_HELP"]

KNOWN_PERMISSIONS = frozenset({"victim_data"})


def _default_author() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


#: Values that are not secrets, refused for ``secret_key``.
_PLACEHOLDERS = frozenset({"changethis", "changeme", "secret", "dev", "development", "password"})


_ENV_PREFIX = "CLEARGROUND_"


class Settings(BaseModel):
    """Every setting has a default and a help line (``SETTINGS_HELP``), tested to match.

    Made by ``load_settings``, which gives it the TOML file's and the environment's values.
    """

    model_config = ConfigDict(extra="forbid", validate_default=True)

    db: str = Field(
        "sqlite:///clearground.db",
        description="Database URL: sqlite:///FILE (embedded) or postgresql://USER@HOST/DB.",
    )
    region: tuple[float, float, float, float] = Field(
        (22.0, 44.0, 40.5, 52.5),
        description=(
            "Bounding box of the operating region as min_lon, min_lat, max_lon, max_lat; imports "
            "refuse features that lie outside it but inside it with lat/lon swapped, and checks "
            "outside it say that nothing is known there. Default: Ukraine."
        ),
    )
    author: str = Field(
        default_factory=_default_author,
        description="Name recorded as the author of every change (default: the login name).",
    )
    permissions: tuple[str, ...] = Field(
        (),
        description=(
            "Extra permissions of this user, comma-separated. victim_data: may read victims' "
            "personal data (names, contacts, notes). None by default."
        ),
    )
    progress_threshold: int = Field(
        5000,
        description="Show a progress bar on imports of more features than this (terminals only).",
    )
    busy_timeout: float = Field(
        30.0,
        ge=0,
        description=(
            "Seconds a write waits for another writer (another command, program or session) to "
            "finish before it is refused as busy (exit 5)."
        ),
    )

    secret_key: str | None = Field(
        None,
        description=(
            "Secret that signs session cookies and CSRF tokens of `clearground serve`; no "
            "default: without one the server listens only on loopback (or with --dev)."
        ),
    )
    upload_limit_mb: float = Field(
        200.0,
        gt=0,
        description="Largest file upload the server accepts, in MiB (413 past it).",
    )
    session_hours: float = Field(
        12.0,
        gt=0,
        le=24 * 90,
        description="Hours a browser's sign-in lasts before it must sign in again.",
    )
    login_rate_limit: int = Field(
        10,
        ge=1,
        description=(
            "Sign-in attempts (and failed Bearer tokens) a client address may make per minute "
            "before it gets 429 (counted per server process)."
        ),
    )
    check_rate_limit: int = Field(
        60,
        ge=1,
        description=(
            "Route and place checks an anonymous client address may ask per minute before it "
            "gets 429 (counted per server process; signed-in users are not limited)."
        ),
    )
    basemap_style_url: str | None = Field(
        None,
        description=(
            "A MapLibre style URL drawn under the browser map's layers (an online basemap); "
            "none by default: the map then needs nothing but this server (admin areas are "
            "its background)."
        ),
    )

    @field_validator("secret_key")
    @classmethod
    def _check_secret(cls, value: str | None) -> str | None:
        if value is not None and (len(value) < 16 or value.lower() in _PLACEHOLDERS):
            raise ValueError("secret_key must be a real secret of 16 characters or more")
        return value

    @field_validator("region", mode="before")
    @classmethod
    def _parse_region(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [v for v in value.replace(" ", ",").split(",") if v]
        return value

    @field_validator("region")
    @classmethod
    def _check_region(cls, value: tuple[float, float, float, float]) -> tuple[float, ...]:
        min_lon, min_lat, max_lon, max_lat = value
        if not (-180 <= min_lon < max_lon <= 180 and -90 <= min_lat < max_lat <= 90):
            raise ValueError("region must be min_lon, min_lat, max_lon, max_lat in degrees")
        return value

    @field_validator("permissions", mode="before")
    @classmethod
    def _parse_permissions(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        unknown = sorted(set(value or ()) - KNOWN_PERMISSIONS)
        if unknown:
            raise ValueError(f"unknown permission(s) {', '.join(unknown)}; known: victim_data")
        return tuple(value or ())

    @property
    def operating_region(self) -> Region:
        return Region(*self.region)


def _environment() -> dict[str, str]:
    """``CLEARGROUND_NAME`` variables (any case) by setting name, their text as it is."""
    names = {f"{_ENV_PREFIX}{name}".lower(): name for name in Settings.model_fields}
    return {names[k.lower()]: v for k, v in os.environ.items() if k.lower() in names}


def _toml(path: str) -> dict[str, Any]:
    """The file's settings by name; names in any case, as in the environment."""
    try:
        with open(path, "rb") as f:
            table = tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise BadInput(f"{path}: cannot read the configuration file: {exc}") from None
    names = {name.lower(): name for name in Settings.model_fields}
    return {names.get(k.lower(), k): v for k, v in table.items()}


SETTINGS_HELP: dict[str, str] = {
    name: field.description or "" for name, field in Settings.model_fields.items()
}


def load_settings(config_file: str | None = None, **overrides: Any) -> Settings:
    """Settings from overrides, then the environment, then the TOML file, then defaults.

    The TOML file is ``config_file``, else ``$CLEARGROUND_CONFIG``, else none.
    """
    from pydantic import ValidationError

    path = config_file or os.environ.get("CLEARGROUND_CONFIG")
    values: dict[str, Any] = {}
    if path:
        if not Path(path).is_file():
            raise BadInput(f"{path}: configuration file not found")
        values.update(_toml(path))
    values.update(_environment())
    values.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return Settings(**values)
    except ValidationError as exc:
        lines = [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
        raise BadInput("bad configuration: " + "; ".join(lines)) from None
