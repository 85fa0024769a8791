from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from tandem_consent.anonymity import domain, repository
from tandem_consent.anonymity.schemas import AnonymityCheck, AnonymityResult, AnonymityRuleUpdate, CellOut
from tandem_consent.models import AnonymityRule
from tandem_consent.purpose import service as purposes
from tandem_kit.errors import NotFound, Unprocessable, json_pointer


class AnonymityRuleNotFound(NotFound):
    code, title = "anonymity-rule-not-found", "No anonymity rule"


class NoAnonymityRule(Unprocessable):
    """The purpose has no anonymity rule, so its data may not be aggregated."""

    code, title = "no-anonymity-rule", "The purpose has no anonymity rule"


class InvalidTable(Unprocessable):
    """The aggregate table cannot be checked: it groups by a dimension the purpose does not allow,
    cells group by different dimensions, or a group appears twice."""

    code, title = "invalid-table", "The table cannot be checked"


async def list_rules(session: AsyncSession) -> Sequence[AnonymityRule]:
    return await repository.list_all(session)


async def get_rule(session: AsyncSession, key: str) -> AnonymityRule:
    purpose = await purposes.get_purpose(session, key)
    rule = await repository.get_for_purpose(session, purpose.id)
    if rule is None:
        raise AnonymityRuleNotFound(f"Purpose {key!r} has no anonymity rule.")
    return rule


async def put_rule(session: AsyncSession, key: str, data: AnonymityRuleUpdate) -> AnonymityRule:
    """Create or replace the purpose's rule."""
    purpose = await purposes.get_purpose(session, key)
    rule = await repository.get_for_purpose(session, purpose.id)
    if rule is None:
        rule = AnonymityRule(purpose_id=purpose.id, purpose=purpose)
        session.add(rule)
    rule.min_group_size = data.min_group_size
    rule.quasi_identifiers = sorted(data.quasi_identifiers)
    await session.flush()
    await session.refresh(rule, ["updated_at"])
    return rule


async def check_table(session: AsyncSession, data: AnonymityCheck) -> AnonymityResult:
    """Which cells of an aggregate may be published under the purpose's k-anonymity rule."""
    purpose = await purposes.find_purpose(session, data.purpose)
    rule = await repository.get_for_purpose(session, purpose.id) if purpose else None
    if rule is None:
        raise NoAnonymityRule(
            f"Purpose {data.purpose!r} has no anonymity rule; its data may not be aggregated.",
            pointer="#/purpose",
        )
    _validate_table(data, allowed=frozenset(rule.quasi_identifiers))
    cells = [domain.Cell(c.group, c.count) for c in data.cells]
    hidden = domain.suppress(cells, rule.min_group_size)
    return AnonymityResult(
        purpose=data.purpose,
        min_group_size=rule.min_group_size,
        suppressed=len(hidden),
        cells=[
            CellOut(
                group=cell.group,
                count=None if index in hidden else cell.count,
                suppressed=index in hidden,
                reason=hidden.get(index),
            )
            for index, cell in enumerate(data.cells)
        ],
    )


def _validate_table(data: AnonymityCheck, *, allowed: frozenset[str]) -> None:
    dimensions = set(data.cells[0].group)
    seen: set[tuple[tuple[str, str], ...]] = set()
    for index, cell in enumerate(data.cells):
        for dimension in cell.group:
            if dimension not in allowed:
                raise InvalidTable(
                    f"{dimension!r} is not a dimension {data.purpose!r} aggregates may group by "
                    f"({', '.join(sorted(allowed))}).",
                    pointer=json_pointer(["cells", index, "group", dimension]),
                )
        if set(cell.group) != dimensions:
            raise InvalidTable(
                f"Every cell must group by the same dimensions ({', '.join(sorted(dimensions)) or 'none'}).",
                pointer=f"#/cells/{index}/group",
            )
        key = tuple(sorted(cell.group.items()))
        if key in seen:
            raise InvalidTable("The same group appears twice.", pointer=f"#/cells/{index}")
        seen.add(key)
