"""What the gateway holds about a person, part by part: each gateway module that keeps personal data
(the directory, calendar connections, xAPI statements, ...) registers an export and an erase function;
consent's data-subject requests run them all in one transaction (`privacy/consumers.py`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from tandem_kit.privacy import Answer

# A part's export: JSON-ready data (None or empty when it holds nothing about the person).
Export = Callable[[AsyncSession, UUID], Awaitable[Any]]
# A part's erasure: how many records it erased or pseudonymised.
Erase = Callable[[AsyncSession, UUID], Awaitable[int]]


@dataclass(frozen=True)
class Part:
    name: str
    export: Export
    erase: Erase


class PersonalData:
    """The registry: `register("directory", export=..., erase=...)` once per part, at app creation."""

    def __init__(self) -> None:
        self._parts: dict[str, Part] = {}

    def register(self, name: str, *, export: Export, erase: Erase) -> None:
        if name in self._parts:
            raise ValueError(f"personal data part {name!r} registered twice")
        self._parts[name] = Part(name, export, erase)

    @property
    def parts(self) -> tuple[str, ...]:
        return tuple(sorted(self._parts))

    async def export_person(self, session: AsyncSession, person_id: UUID) -> Answer:
        exported = {}
        for name in self.parts:
            data = await self._parts[name].export(session, person_id)
            if data:
                exported[name] = data
        records = sum(len(d) if isinstance(d, list) else 1 for d in exported.values())
        return Answer(
            records=records,
            detail=f"Exported {records} record(s) from: {', '.join(sorted(exported)) or 'nothing'}.",
            export=exported,
        )

    async def erase_person(self, session: AsyncSession, person_id: UUID) -> Answer:
        counts = {name: await self._parts[name].erase(session, person_id) for name in self.parts}
        records = sum(counts.values())
        done = ", ".join(f"{name} {count}" for name, count in counts.items() if count)
        return Answer(records=records, detail=f"Erased {records} record(s): {done or 'none held'}.")
