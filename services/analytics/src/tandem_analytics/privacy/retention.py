"""Analytics' part of consent's retention runs: what expires here, when its clock starts, and how
it goes (see docs/analytics.md, "Retention").

`session_telemetry` (anonymize): a vendor session's telemetry expires once the last message about
it occurred before the cutoff, all its messages at once, so the KPIs' "latest outcome per vendor
session" never sees half a session renamed. Anonymizing gives every person (participant or
provider) named in the expired rows one fresh alias for the run, drops the ratings participants
gave, and keeps what the KPIs count: the outcomes, their times, the vendor's session and message ids
and the Tandem session, engagement and match ids that place a session in its program. Rows already
de-identified (by an erasure or an earlier run) are passed over, so a second run changes nothing.

`session_transcripts` (delete): analytics never stores a transcript (a vendor message carrying one
is refused with 422 and only typed indicator columns are kept), so there is nothing to purge.
"""

from datetime import datetime

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_analytics.privacy import repository
from tandem_analytics.privacy.domain import new_alias

log = structlog.get_logger("tandem.analytics.privacy")

SESSION_TELEMETRY = "session_telemetry"
SESSION_TRANSCRIPTS = "session_transcripts"


async def purge_session_telemetry(session: AsyncSession, cutoff: datetime, action: str) -> int:
    """Delete or anonymize the telemetry of vendor sessions last heard of before `cutoff`."""
    if action == "delete":
        return await repository.delete_expired_telemetry(session, cutoff)
    if action == "anonymize":
        people = await repository.expired_identities(session, cutoff)
        aliases = {person: new_alias() for person in sorted(people)}
        return await repository.anonymize_expired_telemetry(session, cutoff, aliases)
    # Consent only knows these two; a new one needs code here, and retrying cannot supply it.
    log.warning("analytics.retention.unknown_action", category=SESSION_TELEMETRY, action=action)
    return 0


async def purge_session_transcripts(_session: AsyncSession, _cutoff: datetime, _action: str) -> int:
    """Nothing to purge: analytics refuses transcripts at the door and never stores one."""
    return 0


PURGES = {
    SESSION_TELEMETRY: purge_session_telemetry,
    SESSION_TRANSCRIPTS: purge_session_transcripts,
}
