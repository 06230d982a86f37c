"""The review queue: ``review list|show|approve|reject``."""

from __future__ import annotations

from typing import Annotated

import typer

from clearground.cli.common import IdArgument, echo_json, reader, review_app, state


@review_app.command("list")
def review_list(
    ctx: typer.Context,
    status: Annotated[
        str | None, typer.Option("--status", help="pending, approved or rejected.")
    ] = "pending",
) -> None:
    """List submissions (pending ones by default) as JSON."""
    from clearground.services.projections import submission_json
    from clearground.services.review import submissions

    store, who = state(ctx).store(), reader(ctx)
    echo_json([submission_json(store, v, who) for v in submissions(store, status or None)])


@review_app.command("show")
def review_show(ctx: typer.Context, sub_id: IdArgument) -> None:
    """One submission, with the records it may duplicate side by side."""
    from clearground.services.projections import submission_json
    from clearground.services.read import record

    store = state(ctx).store()
    v = record(store, "submission", sub_id)
    echo_json(submission_json(store, v, reader(ctx), side_by_side=True))


@review_app.command("approve")
def review_approve(
    ctx: typer.Context,
    sub_id: IdArgument,
    reason: Annotated[str, typer.Option("--reason", help="Kept in the history.")] = "",
) -> None:
    """Approve a submission: its record enters the database, citing the submission."""
    from clearground.services.projections import submission_json
    from clearground.services.review import approve

    st = state(ctx)
    store = st.store()
    done = approve(
        store,
        sub_id,
        author=st.settings.author,
        reason=reason,
        region=st.settings.operating_region,
    )
    echo_json(submission_json(store, done, reader(ctx)))


@review_app.command("reject")
def review_reject(
    ctx: typer.Context,
    sub_id: IdArgument,
    reason: Annotated[str, typer.Option("--reason", help="Why: required, and kept.")],
) -> None:
    """Reject a submission with a reason; it is kept, and nothing enters the database."""
    from clearground.services.projections import submission_json
    from clearground.services.review import reject

    st = state(ctx)
    store = st.store()
    done = reject(store, sub_id, author=st.settings.author, reason=reason)
    echo_json(submission_json(store, done, reader(ctx)))
