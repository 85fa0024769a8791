from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Protocol
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from tandem_consent.events import RetentionPurgeRequested
from tandem_consent.models import RetentionPolicy, RetentionRun
from tandem_consent.retention import domain, repository
from tandem_consent.retention.domain import Category, RetentionAction
from tandem_consent.retention.schemas import RetentionPolicyUpdate
from tandem_kit.auth import Principal
from tandem_kit.errors import Conflict, NotFound, Unprocessable
from tandem_kit.events import emit
from tandem_kit.pagination import PageParams


class RetentionPolicyNotFound(NotFound):
    code, title = "retention-policy-not-found", "Retention policy not found"


class RetentionRunNotFound(NotFound):
    code, title = "retention-run-not-found", "Retention run not found"


class UnsupportedCategory(Unprocessable):
    """The data category is not held by the named service, so no policy can be set for it there."""

    code, title = "unsupported-category", "Category not held here"


class PurgeInProgress(Conflict):
    code, title = "purge-in-progress", "Another retention run is in progress"


class Purge(Protocol):
    async def __call__(self, session: AsyncSession, cutoff: datetime, *, dry_run: bool) -> int: ...


PURGES: dict[Category, Purge] = {
    Category.CONSENT_EVIDENCE: repository.purge_consent_evidence,
    Category.DATA_SUBJECT_REQUESTS: repository.purge_requests,
}


async def list_policies(session: AsyncSession) -> Sequence[RetentionPolicy]:
    return await repository.list_policies(session)


async def get_policy(session: AsyncSession, category: str) -> RetentionPolicy:
    policy = await repository.get_policy(session, category)
    if policy is None:
        raise RetentionPolicyNotFound(f"No retention policy for category {category!r}.")
    return policy


async def put_policy(session: AsyncSession, category: str, data: RetentionPolicyUpdate) -> RetentionPolicy:
    """Create or replace the policy for `category`."""
    problem = domain.local_category_problem(category, data.service)
    if problem:
        raise UnsupportedCategory(f"{category!r}: {problem}.", pointer="#/service")
    policy = await repository.get_policy(session, category)
    if policy is None:
        policy = RetentionPolicy(category=category)
        session.add(policy)
    policy.service, policy.period_days = data.service, data.period_days
    policy.action, policy.description = data.action.value, data.description
    await session.flush()
    await session.refresh(policy, ["updated_at"])
    return policy


async def list_runs(session: AsyncSession, page: PageParams) -> tuple[Sequence[RetentionRun], int]:
    return await repository.list_runs(session, page)


async def get_run(session: AsyncSession, run_id: UUID) -> RetentionRun:
    run = await repository.get_run(session, run_id)
    if run is None:
        raise RetentionRunNotFound(f"No retention run {run_id}.")
    return run


async def run_purge(session: AsyncSession, principal: Principal, *, dry_run: bool) -> RetentionRun:
    """Apply every policy now: purge this service's own expired data, ask the others to purge theirs."""
    if not await repository.try_purge_lock(session):
        raise PurgeInProgress("Another retention run is in progress; try again when it has finished.")
    as_of = datetime.now(UTC)
    policies = [
        domain.Policy(p.category, p.service, p.period_days, RetentionAction(p.action))
        for p in await repository.list_policies(session)
    ]
    run = RetentionRun(as_of=as_of, dry_run=dry_run, started_by=principal.subject, results=[])
    session.add(run)
    await session.flush()
    results = []
    for step in domain.plan(policies, as_of):
        policy = step.policy
        purged = None
        if step.local:
            purged = await PURGES[Category(policy.category)](session, step.cutoff, dry_run=dry_run)
        elif not dry_run:
            await emit(
                session,
                RetentionPurgeRequested(
                    run_id=run.id,
                    category=policy.category,
                    service=policy.service,
                    action=policy.action.value,
                    cutoff=step.cutoff,
                ),
            )
        results.append(
            {
                "category": policy.category,
                "service": policy.service,
                "action": policy.action.value,
                "cutoff": step.cutoff.isoformat(),
                "purged": purged,
                "requested": not step.local and not dry_run,
            }
        )
    run.results = results
    await session.flush()
    return run


async def run_if_due(
    session: AsyncSession, principal: Principal, *, every_seconds: float
) -> RetentionRun | None:
    """The scheduled purge: runs when the last real run is older than `every_seconds` and no other runs."""
    last = await repository.last_run_at(session)
    if last is not None and (datetime.now(UTC) - last).total_seconds() < every_seconds:
        return None
    try:
        return await run_purge(session, principal, dry_run=False)
    except PurgeInProgress:
        return None
