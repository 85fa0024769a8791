from uuid import UUID

from fastapi import APIRouter, status

from tandem_consent.auth import ConsentAdmin, ConsentRead
from tandem_consent.retention import service
from tandem_consent.retention.schemas import (
    RetentionPolicy,
    RetentionPolicyUpdate,
    RetentionRun,
    RetentionRunCreate,
)
from tandem_consent.retention.service import (
    PurgeInProgress,
    RetentionPolicyNotFound,
    RetentionRunNotFound,
    UnsupportedCategory,
)
from tandem_kit.db import SessionDep
from tandem_kit.fields import Text
from tandem_kit.openapi import problems
from tandem_kit.pagination import Page, PageQuery, page_of

router = APIRouter(tags=["retention"])


@router.get("/retention-policies", response_model=list[RetentionPolicy])
async def list_retention_policies(principal: ConsentRead, session: SessionDep) -> list[RetentionPolicy]:
    """List how long each category of personal data is kept, and by whom."""
    return [RetentionPolicy.model_validate(p) for p in await service.list_policies(session)]


@router.get(
    "/retention-policies/{category}",
    response_model=RetentionPolicy,
    responses=problems(RetentionPolicyNotFound),
)
async def get_retention_policy(
    category: Text, principal: ConsentRead, session: SessionDep
) -> RetentionPolicy:
    """Get one category's retention policy."""
    return RetentionPolicy.model_validate(await service.get_policy(session, category))


@router.put(
    "/retention-policies/{category}", response_model=RetentionPolicy, responses=problems(UnsupportedCategory)
)
async def put_retention_policy(
    category: Text, data: RetentionPolicyUpdate, principal: ConsentAdmin, session: SessionDep
) -> RetentionPolicy:
    """Create or replace a category's retention policy."""
    return RetentionPolicy.model_validate(await service.put_policy(session, category, data))


@router.post(
    "/retention-runs",
    response_model=RetentionRun,
    status_code=status.HTTP_201_CREATED,
    responses=problems(PurgeInProgress),
)
async def create_retention_run(
    data: RetentionRunCreate, principal: ConsentAdmin, session: SessionDep
) -> RetentionRun:
    """Apply every retention policy now (or count what would go, with `dry_run`)."""
    return RetentionRun.model_validate(await service.run_purge(session, principal, dry_run=data.dry_run))


@router.get("/retention-runs", response_model=Page[RetentionRun])
async def list_retention_runs(
    principal: ConsentAdmin, session: SessionDep, page: PageQuery
) -> Page[RetentionRun]:
    """Retention runs, newest first, one page at a time."""
    runs, total = await service.list_runs(session, page)
    return page_of(runs, total, page, RetentionRun.model_validate)


@router.get("/retention-runs/{run_id}", response_model=RetentionRun, responses=problems(RetentionRunNotFound))
async def get_retention_run(run_id: UUID, principal: ConsentAdmin, session: SessionDep) -> RetentionRun:
    """One retention run and what it purged."""
    return RetentionRun.model_validate(await service.get_run(session, run_id))
