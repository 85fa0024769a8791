"""Statement validation at its edges (durations, timestamps, scaled scores), without a database."""

from __future__ import annotations

import math
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tandem_gateway.xapi import domain

ACTOR = {"mbox": "mailto:a@example.com"}


def with_result(result: dict[str, Any]) -> dict[str, Any]:
    return {
        "actor": ACTOR,
        "verb": {"id": "http://adlnet.gov/expapi/verbs/passed"},
        "object": {"id": "https://lms.example.com/a"},
        "result": result,
    }


def refused_at(statement: dict[str, Any]) -> str | None:
    try:
        domain.validate(statement)
    except domain.Invalid as exc:
        return exc.error.path
    return None


parts = st.integers(min_value=0, max_value=10**6)
optional = st.none() | parts


@given(optional, optional, optional, optional, optional, st.none() | st.floats(0, 10**6, allow_nan=False))
def test_durations_with_any_parts_are_valid(
    y: int | None, mo: int | None, d: int | None, h: int | None, mi: int | None, s: float | None
) -> None:
    date = "".join(f"{v}{u}" for v, u in ((y, "Y"), (mo, "M"), (d, "D")) if v is not None)
    time = "".join(f"{v}{u}" for v, u in ((h, "H"), (mi, "M")) if v is not None)
    if s is not None:
        time += f"{s:.3f}S"
    duration = "P" + date + (f"T{time}" if time else "")
    assert domain.is_duration(duration) == bool(date or time)


@given(parts)
def test_weeks_are_a_duration_alone(w: int) -> None:
    assert domain.is_duration(f"P{w}W")
    assert not domain.is_duration(f"P{w}W1D")


@pytest.mark.parametrize("text", ["P", "PT", "P1DT", "1D", "PT1.5H1M", "P-1D", "P1D ", "pt1s"])
def test_not_durations(text: str) -> None:
    assert not domain.is_duration(text)


@given(st.text(alphabet="PTYMWDHS0123456789.", max_size=12))
def test_a_statement_with_a_bad_duration_names_it(text: str) -> None:
    where = refused_at(with_result({"duration": text}))
    assert where == (None if domain.is_duration(text) else "result.duration")


offsets = st.integers(min_value=-14 * 60, max_value=14 * 60).map(lambda m: timezone(timedelta(minutes=m)))


@given(st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(2999, 1, 1), timezones=offsets))
def test_timestamps_with_a_zone_are_kept_exactly(moment: datetime) -> None:
    text = moment.isoformat()
    if text.endswith("-00:00"):
        return
    assert domain.parse_timestamp(text) == moment


@given(st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(2999, 1, 1)))
def test_timestamps_without_a_zone_are_refused(moment: datetime) -> None:
    statement = {**with_result({}), "timestamp": moment.isoformat()}
    assert refused_at(statement) == "timestamp"


@pytest.mark.parametrize(
    "text", ["2026-12-07T10:00:00-00:00", "2026-12-07T10:00:00-0000", "2026-12-07", "now"]
)
def test_refused_timestamps(text: str) -> None:
    assert refused_at({**with_result({}), "timestamp": text}) == "timestamp"


def test_zulu_is_utc() -> None:
    assert domain.parse_timestamp("2026-12-07T10:00:00Z") == datetime(2026, 12, 7, 10, tzinfo=UTC)


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_scaled_scores_between_minus_one_and_one(scaled: float) -> None:
    where = refused_at(with_result({"score": {"scaled": scaled}}))
    inside = not math.isnan(scaled) and -1 <= scaled <= 1
    assert where == (None if inside else "result.score.scaled")


@given(st.integers(-100, 100), st.integers(-100, 100), st.integers(-100, 100))
def test_raw_between_min_and_max(low: int, raw: int, high: int) -> None:
    where = refused_at(with_result({"score": {"min": low, "raw": raw, "max": high}}))
    if low >= high:
        assert where == "result.score.min"
    else:
        assert where == (None if low <= raw <= high else "result.score.raw")


@pytest.mark.parametrize(
    ("actor", "where"),
    [
        ({"mbox": "a@example.com"}, "actor.mbox"),
        ({"mbox_sha1sum": "xyz"}, "actor.mbox_sha1sum"),
        ({"account": {"homePage": "not an iri", "name": "x"}}, "actor.account.homePage"),
        ({"account": {"homePage": "https://lms.example.com", "name": ""}}, "actor.account.name"),
        ({"mbox": "mailto:a@example.com", "openid": "https://id.example.com/a"}, "actor"),
        ({"name": "no identifier"}, "actor"),
    ],
    ids=["mbox-not-mailto", "sha1-not-hex", "homepage-not-iri", "account-no-name", "two-ifis", "no-ifi"],
)
def test_actor_forms(actor: dict[str, Any], where: str) -> None:
    assert refused_at({**with_result({}), "actor": actor}) == where


def test_voiding_needs_a_statement_ref() -> None:
    voiding = {
        "actor": ACTOR,
        "verb": {"id": domain.VOIDED},
        "object": {"id": "https://lms.example.com/a"},
    }
    assert refused_at(voiding) == "object.objectType"
    voiding["object"] = {"objectType": "StatementRef", "id": str(uuid.uuid4())}
    assert refused_at(voiding) is None


@pytest.mark.parametrize(
    ("rule", "verb", "result", "counts"),
    [
        ("completion", "completed", {}, True),
        ("completion", "failed", {}, False),
        ("passed", "completed", {}, False),
        ("passed", "completed", {"success": True}, True),
        ("passed", "passed", {}, True),
        ("score", "passed", {"score": {"scaled": 0.79}}, False),
        ("score", "passed", {"score": {"scaled": 0.8}}, True),
        ("score", "completed", {}, False),
    ],
    ids=[
        "complete",
        "failed",
        "completed-without-success",
        "completed-with-success",
        "passed",
        "under-threshold",
        "at-threshold",
        "no-score",
    ],
)
def test_mapping_rules(rule: str, verb: str, result: dict[str, Any], counts: bool) -> None:
    statement = {**with_result(result), "verb": {"id": f"http://adlnet.gov/expapi/verbs/{verb}"}}
    found = domain.outcome(statement, rule=rule, min_scaled=0.8 if rule == "score" else None)  # type: ignore[arg-type]
    assert found is not None
    assert (found.verb, found.counts) == (verb, counts)


def test_outbound_ids_are_deterministic() -> None:
    event, person = uuid.uuid4(), uuid.uuid4()
    assert domain.outbound_statement_id(event, person) == domain.outbound_statement_id(event, person)
    assert domain.outbound_statement_id(event, person) != domain.outbound_statement_id(event, uuid.uuid4())
