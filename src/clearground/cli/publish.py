"""``clearground publish DIR``: the public map as a static site (services.publish)."""

from __future__ import annotations

from typing import Annotated

import typer

from clearground.cli.common import AsOfOption, app, state


@app.command()
def publish(
    ctx: typer.Context,
    directory: Annotated[
        str,
        typer.Argument(
            metavar="DIR",
            help="The folder to write the site into: new, empty, or one an earlier publish wrote.",
        ),
    ],
    as_of: AsOfOption = None,
    languages: Annotated[
        str | None,
        typer.Option(
            "--languages",
            help="The page's languages, comma-separated, the first its default (default uk,en).",
        ),
    ] = None,
) -> None:
    """Write the public map (hazards, tiles, check data, downloads) as a static site."""
    from clearground.services.publish import publish as run_publish
    from clearground.services.publish_site import parse_languages
    from clearground.store.base import parse_as_of

    langs = parse_languages(languages)
    when = parse_as_of(as_of)
    st = state(ctx)
    report = run_publish(
        st.store(),
        directory,
        as_of=when,
        languages=langs,
        publisher=st.settings.author,
        region=st.settings.operating_region,
    )
    total = sum(report.files.values())
    typer.echo(
        f"{directory}: published {report.hazards} hazard area(s) as of {report.as_of} "
        f"({len(report.files)} files, {total / 1e6:,.1f} MB) in {report.seconds:.1f} s"
    )
    for note in report.notes:
        typer.echo(f"  note: {note}")
