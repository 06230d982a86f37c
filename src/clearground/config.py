"""Settings: defaults, then a TOML file, then ``CLEARGROUND_*`` environment variables.

Built once where the program starts and passed down; nothing reads configuration at import time.
"""

from __future__ import annotations

import getpass
import os
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

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


class Settings(BaseSettings):
    """Every setting has a default and a help line (``SETTINGS_HELP``), tested to match."""

    model_config = SettingsConfigDict(env_prefix="CLEARGROUND_", extra="forbid")

    db: str = Field(
        "sqlite:///clearground.db",
        description="Database URL: sqlite:///FILE (embedded) or postgresql://USER@HOST/DB.",
    )
    region: Annotated[tuple[float, float, float, float], NoDecode] = Field(
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
    permissions: Annotated[tuple[str, ...], NoDecode] = Field(
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

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        from pydantic_settings import TomlConfigSettingsSource

        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls))


SETTINGS_HELP: dict[str, str] = {
    name: field.description or "" for name, field in Settings.model_fields.items()
}


def load_settings(config_file: str | None = None, **overrides: Any) -> Settings:
    """Settings from overrides, then the environment, then the TOML file, then defaults.

    The TOML file is ``config_file``, else ``$CLEARGROUND_CONFIG``, else none.
    """
    from pydantic import ValidationError

    path = config_file or os.environ.get("CLEARGROUND_CONFIG")
    cls = Settings
    if path:
        if not Path(path).is_file():
            raise BadInput(f"{path}: configuration file not found")
        cls = type(
            "Settings", (Settings,), {"model_config": {**Settings.model_config, "toml_file": path}}
        )
    try:
        return cls(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        lines = [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
        raise BadInput("bad configuration: " + "; ".join(lines)) from None
