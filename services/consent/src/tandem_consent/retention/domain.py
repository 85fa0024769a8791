"""Retention: when each category's data expires, and who purges it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

SERVICE = "consent"


class Category(StrEnum):
    """The categories this service holds and purges itself; every other one is purged by its service."""

    CONSENT_EVIDENCE = "consent_evidence"
    DATA_SUBJECT_REQUESTS = "data_subject_requests"


class RetentionAction(StrEnum):
    DELETE = "delete"
    ANONYMIZE = "anonymize"


@dataclass(frozen=True)
class Policy:
    category: str
    service: str
    period_days: int
    action: RetentionAction


@dataclass(frozen=True)
class Step:
    """One policy applied at one moment: data older than `cutoff` goes."""

    policy: Policy
    cutoff: datetime

    @property
    def local(self) -> bool:
        return self.policy.service == SERVICE


def cutoff(as_of: datetime, period_days: int) -> datetime:
    return as_of - timedelta(days=period_days)


def plan(policies: Iterable[Policy], as_of: datetime) -> list[Step]:
    """Every policy's step at `as_of`, this service's own first (then by category)."""
    steps = [Step(p, cutoff(as_of, p.period_days)) for p in policies]
    return sorted(steps, key=lambda s: (not s.local, s.policy.category))


def local_category_problem(category: str, service: str) -> str | None:
    """Why a policy cannot be held by this service, or None (it only knows how to purge its own data)."""
    if service == SERVICE and category not in set(Category):
        known = ", ".join(sorted(Category))
        return f"the consent service holds only {known}"
    return None
