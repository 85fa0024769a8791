"""Scheduling's part of consent's retention run: the `session_notes` category.

Scheduling stores no session notes. The closest it holds is the pair's own free text: the working
agreement (their goals and commitments, signed by both), the reasons given for cancelled sessions and
those given for attendance corrections.
Those go once the engagement ended longer ago than the policy keeps them (docs/scheduling.md,
"Personal data"). Runs inside the consent event's transaction (`tandem_kit.privacy`); never commits.
"""

from datetime import datetime

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_scheduling.agreement.domain import CLAUSES
from tandem_scheduling.escalation import repository as escalation_repository
from tandem_scheduling.privacy import repository

log = structlog.get_logger("tandem.scheduling.retention")

SESSION_NOTES = "session_notes"
DELETE, ANONYMIZE = "delete", "anonymize"
REDACTED = "Removed after the retention period."
# Free text cannot be de-identified, only removed: an anonymised agreement keeps its version,
# signatures and times (whether and when pairs signed is a program statistic) under these words.
REDACTED_CLAUSES = dict.fromkeys(CLAUSES, REDACTED)
REDACTED_BY = "scheduling-retention"


async def purge_session_notes(session: AsyncSession, cutoff: datetime, action: str) -> int:
    """The free text of engagements that ended before `cutoff`: with `delete` their working agreements
    go, with `anonymize` their clause text; cancel reasons, attendance-correction reasons and escalation
    resolution notes are cleared either way. Rows touched."""
    if action not in (DELETE, ANONYMIZE):
        # Consent allows only these two; anything else is a contract change this code predates.
        log.warning("scheduling.retention.unknown_action", category=SESSION_NOTES, action=action)
        return 0
    ended = repository.ended_before(cutoff)
    reasons = await repository.clear_cancel_reasons(session, ended)
    reasons += await repository.clear_attendance_reasons(session, ended)
    notes = await escalation_repository.clear_notes(session, ended)
    if action == DELETE:
        agreements = await repository.delete_agreements_of(session, ended)
    else:
        agreements = await repository.redact_agreements_of(session, ended, REDACTED_CLAUSES, REDACTED_BY)
    log.info(
        "scheduling.retention.session_notes",
        action=action,
        agreements=agreements,
        cancel_reasons=reasons,
        escalation_notes=notes,
    )
    return reasons + agreements + notes
