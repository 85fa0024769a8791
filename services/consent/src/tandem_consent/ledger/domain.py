"""Consent evaluation: who may record a decision, what a grant covers, and what a purpose may use.

Plain values in, plain values out: no session, no clock (the caller passes `now`).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID

from tandem_kit.auth import SUPERVISOR_ROLES

# Clocks of capturing systems drift; a decision stamped this far ahead of ours is still "now".
CLOCK_SKEW = timedelta(minutes=5)


class Action(StrEnum):
    GRANTED = "granted"
    WITHDRAWN = "withdrawn"


class Method(StrEnum):
    """How the decision was captured; `erasure_request` is written by the service itself."""

    WEB_FORM = "web_form"
    MOBILE_APP = "mobile_app"
    EMAIL = "email"
    PAPER_FORM = "paper_form"
    HRIS_IMPORT = "hris_import"
    API = "api"
    ERASURE_REQUEST = "erasure_request"


class Permission(StrEnum):
    ALLOWED = "allowed"
    NOT_VISIBLE = "not_visible"
    FORBIDDEN = "forbidden"


@dataclass(frozen=True)
class Actor:
    """Who records a decision: a person (`person_id`) or a system that captured it (`person_id` None)."""

    person_id: UUID | None
    roles: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Snapshot:
    """A person's decision for one purpose."""

    granted: bool
    notice_version: int | None
    fields: tuple[str, ...]


NEVER_ASKED = Snapshot(granted=False, notice_version=None, fields=())


def may_record(actor: Actor, person_id: UUID, action: Action) -> Permission:
    """A person decides for themself; a capturing system records for anyone, with its evidence.

    Program managers and admins may withdraw on someone's behalf (the override path: stopping use of
    data never harms the person) but never grant for them. Anybody else is not shown the person.
    """
    if actor.person_id is None or actor.person_id == person_id:
        return Permission.ALLOWED
    if not actor.roles & SUPERVISOR_ROLES:
        return Permission.NOT_VISIBLE
    return Permission.ALLOWED if action is Action.WITHDRAWN else Permission.FORBIDDEN


@dataclass(frozen=True)
class FieldNotInNotice:
    index: int
    key: str


def granted_fields(
    notice_fields: Collection[str], confidential: Collection[str], requested: Sequence[str] | None
) -> tuple[str, ...] | FieldNotInNotice:
    """The fields a grant covers, sorted.

    Without an explicit list a grant covers the notice's fields except confidential ones: those (raw
    transcripts, performance detail) are covered only when the person names them. A named field
    must be one the notice documents; the first one that is not is returned as the problem.
    """
    if requested is None:
        return tuple(sorted(set(notice_fields) - set(confidential)))
    for index, key in enumerate(requested):
        if key not in notice_fields:
            return FieldNotInNotice(index, key)
    return tuple(sorted(set(requested)))


def after(
    current: Snapshot, action: Action, *, notice_version: int | None, fields: Sequence[str]
) -> Snapshot | None:
    """The decision once `action` is applied, or None when it changes nothing (so nothing is recorded)."""
    if action is Action.WITHDRAWN:
        return NEVER_ASKED if current.granted else None
    new = Snapshot(granted=True, notice_version=notice_version, fields=tuple(sorted(fields)))
    return None if new == current else new


def usable_fields(state: Snapshot, purpose_fields: Collection[str]) -> tuple[str, ...]:
    """What a purpose may use for this person: granted fields its current notice still documents."""
    if not state.granted:
        return ()
    return tuple(sorted(set(state.fields) & set(purpose_fields)))


class TimeProblem(StrEnum):
    NAIVE = "must carry a time zone offset"
    FUTURE = "lies in the future"
    BEFORE_NOTICE = "is before the notice version it names was published"
    OUT_OF_ORDER = "is before the person's latest recorded decision for this purpose"


def occurred_at_problem(
    occurred_at: datetime,
    *,
    now: datetime,
    latest_decision: datetime | None,
    notice_published_at: datetime | None,
) -> TimeProblem | None:
    """Why a decision cannot be recorded as made at `occurred_at`, or None when it can.

    A decision older than the latest one on record arrived late (a paper form posted last week after
    an online withdrawal yesterday): applying it would silently undo the newer decision.
    """
    if occurred_at.tzinfo is None:
        return TimeProblem.NAIVE
    if occurred_at > now + CLOCK_SKEW:
        return TimeProblem.FUTURE
    if notice_published_at is not None and occurred_at < notice_published_at:
        return TimeProblem.BEFORE_NOTICE
    if latest_decision is not None and occurred_at < latest_decision:
        return TimeProblem.OUT_OF_ORDER
    return None
