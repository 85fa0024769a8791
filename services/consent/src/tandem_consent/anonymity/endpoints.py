from fastapi import APIRouter

from tandem_consent.anonymity import service
from tandem_consent.anonymity.schemas import (
    AnonymityCheck,
    AnonymityResult,
    AnonymityRule,
    AnonymityRuleUpdate,
)
from tandem_consent.anonymity.service import AnonymityRuleNotFound, InvalidTable, NoAnonymityRule
from tandem_consent.auth import ConsentAdmin, ConsentRead
from tandem_consent.purpose.service import PurposeNotFound
from tandem_kit.db import SessionDep
from tandem_kit.fields import Text
from tandem_kit.openapi import problems

router = APIRouter(tags=["anonymity"])


@router.get("/anonymity-rules", response_model=list[AnonymityRule])
async def list_anonymity_rules(principal: ConsentRead, session: SessionDep) -> list[AnonymityRule]:
    """List the k-anonymity rules aggregates must follow, one per purpose."""
    return [AnonymityRule.model_validate(r) for r in await service.list_rules(session)]


@router.get(
    "/anonymity-rules/{purpose}",
    response_model=AnonymityRule,
    responses=problems(AnonymityRuleNotFound, PurposeNotFound),
)
async def get_anonymity_rule(purpose: Text, principal: ConsentRead, session: SessionDep) -> AnonymityRule:
    """Get a purpose's k-anonymity rule."""
    return AnonymityRule.model_validate(await service.get_rule(session, purpose))


@router.put("/anonymity-rules/{purpose}", response_model=AnonymityRule, responses=problems(PurposeNotFound))
async def put_anonymity_rule(
    purpose: Text, data: AnonymityRuleUpdate, principal: ConsentAdmin, session: SessionDep
) -> AnonymityRule:
    """Create or replace a purpose's k-anonymity rule."""
    return AnonymityRule.model_validate(await service.put_rule(session, purpose, data))


@router.post(
    "/anonymity-checks", response_model=AnonymityResult, responses=problems(InvalidTable, NoAnonymityRule)
)
async def check_anonymity(
    data: AnonymityCheck, principal: ConsentRead, session: SessionDep
) -> AnonymityResult:
    """Check an aggregate table before publishing it: which cells must be suppressed, and why."""
    return await service.check_table(session, data)
