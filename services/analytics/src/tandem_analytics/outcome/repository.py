"""Provider outcomes in one statement: computed from telemetry, compared with what was last sent,
and stored only where they changed (those rows are returned, to be sent)."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Row, text
from sqlalchemy.ext.asyncio import AsyncSession

# The latest outcome of each vendor session (kept at ingest, as the KPIs read it: a no-show later
# corrected to `completed` counts as completed); only sessions whose participant's `analytics`
# consent is granted count. Providers are matching's provider ids (`provider_facts`), which carry
# the program.
CHANGED_OUTCOMES = text("""
WITH latest AS (
    SELECT provider_id, participant_id, type, rating FROM vendor_session_outcomes
), counted AS (
    SELECT latest.* FROM latest
    JOIN analytics_consents c ON c.person_id = latest.participant_id AND c.granted
), per_provider AS (
    SELECT p.provider_id, p.program_id,
        count(*) FILTER (WHERE o.type = 'session.completed') AS completed,
        count(*) FILTER (WHERE o.type = 'session.no_show') AS no_show,
        count(o.rating) FILTER (WHERE o.type = 'session.completed') AS rating_count,
        percentile_cont(0.5) WITHIN GROUP (ORDER BY o.rating)
            FILTER (WHERE o.type = 'session.completed') AS median
    FROM provider_facts p JOIN counted o ON o.provider_id = p.provider_id
    GROUP BY p.provider_id, p.program_id
    HAVING count(*) FILTER (WHERE o.type IN ('session.completed', 'session.no_show')) > 0
)
INSERT INTO provider_outcomes AS sent (provider_id, program_id, sessions_completed, sessions_no_show,
    completion_rate, rating_median, rating_count, computed_at)
SELECT provider_id, program_id, completed, no_show,
    completed::float / (completed + no_show),
    CASE WHEN rating_count >= :k THEN median END,
    rating_count, :now
FROM per_provider
ON CONFLICT (provider_id) DO UPDATE SET
    program_id = excluded.program_id,
    sessions_completed = excluded.sessions_completed,
    sessions_no_show = excluded.sessions_no_show,
    completion_rate = excluded.completion_rate,
    rating_median = excluded.rating_median,
    rating_count = excluded.rating_count,
    computed_at = excluded.computed_at
WHERE (sent.program_id, sent.sessions_completed, sent.sessions_no_show, sent.completion_rate,
       sent.rating_median, sent.rating_count)
    IS DISTINCT FROM (excluded.program_id, excluded.sessions_completed, excluded.sessions_no_show,
       excluded.completion_rate, excluded.rating_median, excluded.rating_count)
RETURNING provider_id, program_id, sessions_completed, sessions_no_show, completion_rate,
    rating_median, rating_count, computed_at
""")


async def changed_outcomes(
    session: AsyncSession, *, now: datetime, k: int
) -> Sequence[Row[tuple[object, ...]]]:
    return (await session.execute(CHANGED_OUTCOMES, {"now": now, "k": k})).all()
