"""Field submissions and their review: pending until an IM officer approves or rejects them.

A submission holds a record that is not yet in the database. Approval makes it a version that
cites the submission; rejection keeps the submission with its reason. Either is final.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from clearground.domain.errors import BadInput

__all__ = ["Submission", "SubmissionStatus", "decide"]


class SubmissionStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


@dataclass(slots=True)
class Submission:
    """A record sent from the field, waiting for review."""

    id: str
    kind: str  # the kind of record it would become: "hazard", "eo", ...
    record: Any  # that record, with the id it was given in the field (or "")
    submitted_by: str
    source: str  # file (and feature) it came from
    status: SubmissionStatus = SubmissionStatus.PENDING
    duplicates: tuple[str, ...] = ()  # ids of records and submissions it may duplicate
    decided_by: str = ""
    decision_reason: str = ""
    record_id: str = ""  # the id of the record made on approval
    attributes: dict[str, Any] = field(default_factory=dict)

    @property
    def geometry(self) -> Any:
        return self.record.geometry


def decide(
    submission: Submission, *, approve: bool, by: str, reason: str, record_id: str = ""
) -> Submission:
    """The submission approved (becoming ``record_id``) or rejected; a decision is final."""
    if submission.status is not SubmissionStatus.PENDING:
        raise BadInput(
            f"submission {submission.id} was already {submission.status} by "
            f"{submission.decided_by}: a decision is final"
        )
    if not approve and not reason.strip():
        raise BadInput(f"rejecting {submission.id} needs a reason (--reason)")
    return dataclasses.replace(
        submission,
        status=SubmissionStatus.APPROVED if approve else SubmissionStatus.REJECTED,
        decided_by=by,
        decision_reason=reason.strip(),
        record_id=record_id,
    )
