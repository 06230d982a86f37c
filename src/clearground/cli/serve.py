"""``clearground serve``: the web app under uvicorn, on the configured database."""

from __future__ import annotations

import ipaddress
from typing import Annotated

import typer

from clearground.cli.common import app, state


def is_loopback(host: str) -> bool:
    """Whether ``host`` only listens on this machine (127.0.0.0/8, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option("--workers", min=1, help="Worker processes.")] = 1,
    dev: Annotated[
        bool, typer.Option("--dev", help="Development: allow running without a secret_key.")
    ] = False,
) -> None:
    """Serve the JSON API and /healthz on HOST:PORT (loopback unless a secret_key is set)."""
    from clearground.domain.errors import BadInput

    st = state(ctx)
    settings = st.settings
    if not is_loopback(host) and not settings.secret_key and not dev:
        raise BadInput(
            f"--host {host}: listening beyond this machine needs a secret_key setting "
            "(CLEARGROUND_SECRET_KEY); there is no default secret"
        )
    st.store(initialising=False).require_schema()  # refuse a missing database before listening
    st.close()
    import uvicorn

    from clearground.web.logs import log_config

    run = {"host": host, "port": port, "log_config": log_config(), "log_level": "warning"}
    run["access_log"] = False  # uvicorn's access log prints query values; ours (JSON) does not
    if workers == 1:
        from clearground.web import create_app

        uvicorn.run(create_app(settings, warm_check=True), **run)
        return
    from clearground.web.factory import hand_to_workers

    hand_to_workers(settings)
    uvicorn.run(
        "clearground.web.factory:app_from_environment", factory=True, workers=workers, **run
    )
