"""xAPI rules without I/O: statement validation (xAPI 2.0 / IEEE 9274.1.1 and 1.0.3), statement
comparison, which verbs are evidence, how a mapping scores a statement, and the statements Tandem sends.

No xAPI library on PyPI is both maintained and small (`tincan` stopped at 1.0.1; the LRS projects bring
their whole server), so the rules the issue names are written out here and tested with hypothesis.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

VERSIONS = ("1.0.3", "2.0.0")
VERSION_PATTERN = re.compile(r"^(1\.0(\.\d+)?|2\.0(\.\d+)?)$")
VOIDED = "http://adlnet.gov/expapi/verbs/voided"
ADL = "http://adlnet.gov/expapi/verbs/"
CMI5 = "https://w3id.org/xapi/adl/verbs/"
# The verbs that are training evidence; every other verb is answered and not kept.
EVIDENCE_VERBS: dict[str, str] = {
    ADL + "completed": "completed",
    ADL + "passed": "passed",
    ADL + "failed": "failed",
    CMI5 + "satisfied": "satisfied",
    CMI5 + "waived": "waived",
}
COUNTING = frozenset({"completed", "passed", "satisfied", "waived"})
ITEMS = (
    "bias_awareness_training",
    "mentor_curriculum_week_1",
    "mentor_curriculum_week_2",
    "mentor_curriculum_week_3",
    "mentor_curriculum_week_4",
    "coach_demo_review",
    "coach_co_coaching_session",
    "calibration_review",
    "recertification",
)
Item = Literal[
    "bias_awareness_training",
    "mentor_curriculum_week_1",
    "mentor_curriculum_week_2",
    "mentor_curriculum_week_3",
    "mentor_curriculum_week_4",
    "coach_demo_review",
    "coach_co_coaching_session",
    "calibration_review",
    "recertification",
]
Rule = Literal["completion", "passed", "score"]

# ISO 8601 durations as xAPI uses them: PnW, or PnYnMnDTnHnMnS with at least one part (seconds may
# carry a fraction); "P", "PT" and "P1DT" are not durations.
DURATION = re.compile(
    r"^P(?:\d+(?:\.\d+)?W|(?=\d|T\d)(?:\d+Y)?(?:\d+M)?(?:\d+D)?(?:T(?=\d)(?:\d+H)?(?:\d+M)?(?:\d+(?:\.\d+)?S)?)?)$"
)
IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s<>\"{}|\\^`]+$")
MBOX = re.compile(r"^mailto:[^@\s]+@[^@\s]+$")
SHA1 = re.compile(r"^[0-9a-fA-F]{40}$")
LANGUAGE_TAG = re.compile(r"^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$")
# Offsets xAPI forbids: "unknown local offset" is not a time zone.
NEGATIVE_ZERO = re.compile(r"-00(:?00)?$")

STATEMENT_KEYS = frozenset(
    {
        "id",
        "actor",
        "verb",
        "object",
        "result",
        "context",
        "timestamp",
        "stored",
        "authority",
        "version",
        "attachments",
        "objectType",
    }
)
# What an LRS sets or may change: left out when two statements with one id are compared.
UNCOMPARED = ("id", "stored", "authority", "version")


@dataclass(frozen=True)
class StatementError:
    """One invalid property: its dotted path (`result.score.scaled`) and why."""

    path: str
    detail: str

    @property
    def pointer(self) -> str:
        return "#/" + "/".join(self.path.split(".")) if self.path else "#/"


class Invalid(Exception):
    def __init__(self, error: StatementError) -> None:
        super().__init__(error.detail)
        self.error = error


def _fail(path: str, detail: str) -> Invalid:
    return Invalid(StatementError(path, detail))


def _join(path: str, key: str | int) -> str:
    return f"{path}.{key}" if path else str(key)


def _object(value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _fail(path, "must be a JSON object")
    return value


def _keys(value: dict[str, Any], path: str, allowed: set[str] | frozenset[str]) -> None:
    for key in value:
        if key not in allowed:
            raise _fail(_join(path, key), "is not a property xAPI defines here")


def is_iri(value: Any) -> bool:
    return isinstance(value, str) and IRI.match(value) is not None


def _iri(value: Any, path: str) -> str:
    if not is_iri(value):
        raise _fail(path, "must be an absolute IRI")
    return str(value)


def _uuid(value: Any, path: str) -> uuid.UUID:
    if not isinstance(value, str):
        raise _fail(path, "must be a UUID string")
    try:
        return uuid.UUID(value)
    except ValueError:
        raise _fail(path, "must be a UUID") from None


def _language_map(value: Any, path: str) -> None:
    for tag, text in _object(value, path).items():
        if not LANGUAGE_TAG.match(tag):
            raise _fail(_join(path, tag), "must be an RFC 5646 language tag")
        if not isinstance(text, str):
            raise _fail(_join(path, tag), "must be a string")


def _extensions(value: Any, path: str) -> None:
    for key in _object(value, path):
        _iri(key, _join(path, key))


def is_duration(value: Any) -> bool:
    return isinstance(value, str) and DURATION.match(value) is not None


def parse_timestamp(value: Any, path: str = "timestamp") -> datetime:
    """An ISO 8601 timestamp with a time zone (`Z` or an offset; never `-00:00`)."""
    if not isinstance(value, str) or "T" not in value:
        raise _fail(path, "must be an ISO 8601 date and time")
    if NEGATIVE_ZERO.search(value):
        raise _fail(path, "must not use the offset -00:00")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise _fail(path, "must be an ISO 8601 date and time") from None
    if parsed.tzinfo is None:
        raise _fail(path, "must carry a time zone (Z or an offset)")
    return parsed


def _agent(value: Any, path: str, *, group_allowed: bool = True) -> None:
    agent = _object(value, path)
    kind = agent.get("objectType", "Agent")
    if kind not in ("Agent", "Group") or (kind == "Group" and not group_allowed):
        raise _fail(_join(path, "objectType"), "must be Agent" + (" or Group" if group_allowed else ""))
    _keys(agent, path, {"objectType", "name", "mbox", "mbox_sha1sum", "openid", "account", "member"})
    ifis = [k for k in ("mbox", "mbox_sha1sum", "openid", "account") if k in agent]
    if len(ifis) > 1:
        raise _fail(path, "must have exactly one of mbox, mbox_sha1sum, openid, account")
    if not ifis and kind == "Agent":
        raise _fail(path, "must have one of mbox, mbox_sha1sum, openid, account")
    if "name" in agent and not isinstance(agent["name"], str):
        raise _fail(_join(path, "name"), "must be a string")
    if "mbox" in agent and not (isinstance(agent["mbox"], str) and MBOX.match(agent["mbox"])):
        raise _fail(_join(path, "mbox"), "must be a mailto: IRI")
    if "mbox_sha1sum" in agent and not (
        isinstance(agent["mbox_sha1sum"], str) and SHA1.match(agent["mbox_sha1sum"])
    ):
        raise _fail(_join(path, "mbox_sha1sum"), "must be 40 hexadecimal digits")
    if "openid" in agent:
        _iri(agent["openid"], _join(path, "openid"))
    if "account" in agent:
        account = _object(agent["account"], _join(path, "account"))
        _keys(account, _join(path, "account"), {"homePage", "name"})
        _iri(account.get("homePage"), _join(path, "account.homePage"))
        if not isinstance(account.get("name"), str) or not account["name"]:
            raise _fail(_join(path, "account.name"), "must be a non-empty string")
    if kind == "Group" and "member" in agent:
        members = agent["member"]
        if not isinstance(members, list):
            raise _fail(_join(path, "member"), "must be an array of agents")
        for i, member in enumerate(members):
            _agent(member, _join(_join(path, "member"), i), group_allowed=False)
    elif "member" in agent:
        raise _fail(_join(path, "member"), "only a Group has members")


def _activity(value: Any, path: str) -> None:
    activity = _object(value, path)
    _keys(activity, path, {"objectType", "id", "definition"})
    _iri(activity.get("id"), _join(path, "id"))
    if "definition" in activity:
        definition = _object(activity["definition"], _join(path, "definition"))
        for key in ("name", "description"):
            if key in definition:
                _language_map(definition[key], _join(_join(path, "definition"), key))
        for key in ("type", "moreInfo"):
            if key in definition:
                _iri(definition[key], _join(_join(path, "definition"), key))
        if "extensions" in definition:
            _extensions(definition["extensions"], _join(_join(path, "definition"), "extensions"))


def _statement_ref(value: dict[str, Any], path: str) -> uuid.UUID:
    _keys(value, path, {"objectType", "id"})
    return _uuid(value.get("id"), _join(path, "id"))


def _object_of(value: Any, path: str, *, sub: bool) -> None:
    target = _object(value, path)
    kind = target.get("objectType", "Activity")
    if kind == "Activity":
        _activity(target, path)
    elif kind in ("Agent", "Group"):
        _agent(target, path)
    elif kind == "StatementRef":
        _statement_ref(target, path)
    elif kind == "SubStatement" and not sub:
        _keys(target, path, {"objectType", "actor", "verb", "object", "result", "context", "timestamp"})
        _body(target, path, sub=True)
    else:
        raise _fail(_join(path, "objectType"), "must be Activity, Agent, Group, StatementRef or SubStatement")


def _result(value: Any, path: str) -> None:
    result = _object(value, path)
    _keys(result, path, {"score", "success", "completion", "response", "duration", "extensions"})
    for key in ("success", "completion"):
        if key in result and not isinstance(result[key], bool):
            raise _fail(_join(path, key), "must be true or false")
    if "response" in result and not isinstance(result["response"], str):
        raise _fail(_join(path, "response"), "must be a string")
    if "duration" in result and not is_duration(result["duration"]):
        raise _fail(_join(path, "duration"), "must be an ISO 8601 duration")
    if "extensions" in result:
        _extensions(result["extensions"], _join(path, "extensions"))
    if "score" in result:
        score_path = _join(path, "score")
        score = _object(result["score"], score_path)
        _keys(score, score_path, {"scaled", "raw", "min", "max"})
        for key in ("scaled", "raw", "min", "max"):
            if key in score and (isinstance(score[key], bool) or not isinstance(score[key], int | float)):
                raise _fail(_join(score_path, key), "must be a number")
        if "scaled" in score and not -1 <= score["scaled"] <= 1:
            raise _fail(_join(score_path, "scaled"), "must be between -1 and 1")
        low, high = score.get("min"), score.get("max")
        if low is not None and high is not None and low >= high:
            raise _fail(_join(score_path, "min"), "must be less than max")
        raw = score.get("raw")
        if raw is not None and ((low is not None and raw < low) or (high is not None and raw > high)):
            raise _fail(_join(score_path, "raw"), "must be between min and max")


def _context(value: Any, path: str) -> None:
    context = _object(value, path)
    _keys(
        context,
        path,
        {
            "registration",
            "instructor",
            "team",
            "contextActivities",
            "contextAgents",
            "contextGroups",
            "revision",
            "platform",
            "language",
            "statement",
            "extensions",
        },
    )
    if "registration" in context:
        _uuid(context["registration"], _join(path, "registration"))
    if "instructor" in context:
        _agent(context["instructor"], _join(path, "instructor"))
    if "team" in context:
        _agent(context["team"], _join(path, "team"))
    if "language" in context and not (
        isinstance(context["language"], str) and LANGUAGE_TAG.match(context["language"])
    ):
        raise _fail(_join(path, "language"), "must be an RFC 5646 language tag")
    for key in ("revision", "platform"):
        if key in context and not isinstance(context[key], str):
            raise _fail(_join(path, key), "must be a string")
    if "statement" in context:
        _statement_ref(_object(context["statement"], _join(path, "statement")), _join(path, "statement"))
    if "extensions" in context:
        _extensions(context["extensions"], _join(path, "extensions"))
    if "contextActivities" in context:
        activities_path = _join(path, "contextActivities")
        activities = _object(context["contextActivities"], activities_path)
        _keys(activities, activities_path, {"parent", "grouping", "category", "other"})
        for key, listed in activities.items():
            # 0.95 LMSs still send one activity instead of an array.
            for i, activity in enumerate(listed if isinstance(listed, list) else [listed]):
                _activity(activity, _join(_join(activities_path, key), i))


def _body(statement: dict[str, Any], path: str, *, sub: bool) -> None:
    for key in ("actor", "verb", "object"):
        if key not in statement:
            raise _fail(_join(path, key), "is required")
    _agent(statement["actor"], _join(path, "actor"))
    verb = _object(statement["verb"], _join(path, "verb"))
    _keys(verb, _join(path, "verb"), {"id", "display"})
    _iri(verb.get("id"), _join(path, "verb.id"))
    if "display" in verb:
        _language_map(verb["display"], _join(path, "verb.display"))
    _object_of(statement["object"], _join(path, "object"), sub=sub)
    if "result" in statement:
        _result(statement["result"], _join(path, "result"))
    if "context" in statement:
        _context(statement["context"], _join(path, "context"))
    if "timestamp" in statement:
        parse_timestamp(statement["timestamp"], _join(path, "timestamp"))


def validate(statement: Any) -> uuid.UUID | None:
    """Raise `Invalid` naming the first invalid property; return the statement's id if it has one."""
    body = _object(statement, "")
    _keys(body, "", STATEMENT_KEYS)
    if body.get("objectType", "Statement") != "Statement":
        raise _fail("objectType", "must be Statement")
    statement_id = _uuid(body["id"], "id") if "id" in body else None
    if "version" in body and not (
        isinstance(body["version"], str) and VERSION_PATTERN.match(body["version"])
    ):
        raise _fail("version", "must be 1.0.x or 2.0.x")
    _body(body, "", sub=False)
    if body["verb"]["id"] == VOIDED:
        target = body["object"]
        if target.get("objectType") != "StatementRef":
            raise _fail("object.objectType", "a voiding statement's object must be a StatementRef")
    return statement_id


def voided_target(statement: dict[str, Any]) -> uuid.UUID | None:
    if statement["verb"]["id"] != VOIDED:
        return None
    return uuid.UUID(statement["object"]["id"])


def content_hash(statement: dict[str, Any]) -> str:
    """Two statements with one id are the same statement when this is equal (RFC 8785-like: sorted keys)."""
    compared = {k: v for k, v in statement.items() if k not in UNCOMPARED}
    canonical = json.dumps(compared, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def actor_ifi(agent: dict[str, Any]) -> str:
    """The inverse functional identifier, as one comparable string (`mbox:mailto:a@b`)."""
    if "mbox" in agent:
        return "mbox:" + str(agent["mbox"]).lower()
    if "mbox_sha1sum" in agent:
        return "mbox_sha1sum:" + str(agent["mbox_sha1sum"]).lower()
    if "openid" in agent:
        return "openid:" + str(agent["openid"])
    if "account" in agent:
        return f"account:{agent['account']['homePage']}|{agent['account']['name']}"
    return "group:" + hashlib.sha256(json.dumps(agent, sort_keys=True).encode()).hexdigest()


def mbox_sha1sum(email: str) -> str:
    """xAPI's hashed e-mail: SHA-1 of the whole `mailto:` IRI, lower-case hex."""
    return hashlib.sha1(f"mailto:{email.strip().lower()}".encode()).hexdigest()


def activity_ids(statement: dict[str, Any]) -> list[str]:
    """The statement's activity and its cmi5 course / parent activities, most specific first."""
    found: list[str] = []
    target = statement["object"]
    if target.get("objectType", "Activity") == "Activity":
        found.append(target["id"])
    activities = statement.get("context", {}).get("contextActivities", {})
    for key in ("parent", "grouping"):
        listed = activities.get(key, [])
        found += [a["id"] for a in (listed if isinstance(listed, list) else [listed])]
    return found


@dataclass(frozen=True)
class Outcome:
    verb: str
    counts: bool
    score_scaled: float | None


def outcome(statement: dict[str, Any], *, rule: Rule, min_scaled: float | None) -> Outcome | None:
    """What a statement means for an evidence item under a mapping's rule; None: not evidence.

    `completion`: completed, passed, satisfied and waived count. `passed` (a weekly assessment):
    passed, satisfied and waived count, completed only with `result.success` true. `score`: a counting
    verb with `result.score.scaled` at least `min_scaled` (waived always). Failed is recorded, never counts.
    """
    verb = EVIDENCE_VERBS.get(statement["verb"]["id"])
    if verb is None:
        return None
    result = statement.get("result", {})
    scaled = result.get("score", {}).get("scaled")
    scaled = float(scaled) if scaled is not None else None
    counts = verb in COUNTING
    if rule == "passed" and verb == "completed":
        counts = result.get("success") is True
    if rule == "score" and verb != "waived" and counts:
        counts = scaled is not None and min_scaled is not None and scaled >= min_scaled
    return Outcome(verb=verb, counts=counts, score_scaled=scaled)


def evidence_id(statement_id: uuid.UUID, program_id: uuid.UUID, item: str) -> uuid.UUID:
    return uuid.uuid5(statement_id, f"{program_id}:{item}")


# Statements out: the milestones Tandem reports, and the verb of a microlearning assignment.
OUT_NAMESPACE = uuid.UUID("6f0b3c2e-5d4a-4e59-9a53-7c4b8e1d2f60")
ASSIGNED = "https://w3id.org/xapi/tla/verbs/assigned"
MILESTONES: dict[str, tuple[str, str]] = {
    "kickoff_held": ("https://w3id.org/xapi/adl/verbs/attended", "kickoff held"),
    "session_attended": ("https://w3id.org/xapi/adl/verbs/attended", "session attended"),
    "working_agreement_signed": ("https://w3id.org/xapi/dod-isd/verbs/signed", "working agreement signed"),
    "track_completed": (ADL + "completed", "track completed"),
}


def outbound_statement_id(event_id: uuid.UUID, person_id: uuid.UUID) -> uuid.UUID:
    """The same event about the same person is always the same statement: a retry never makes two."""
    return uuid.uuid5(OUT_NAMESPACE, f"{event_id}:{person_id}")


def milestone_statement(
    *,
    statement_id: uuid.UUID,
    actor: dict[str, Any],
    milestone: str,
    activity_id: str,
    timestamp: datetime,
    registration: uuid.UUID | None,
) -> dict[str, Any]:
    verb, label = MILESTONES[milestone]
    statement: dict[str, Any] = {
        "id": str(statement_id),
        "actor": actor,
        "verb": {"id": verb, "display": {"en-US": label.split()[-1]}},
        "object": {
            "objectType": "Activity",
            "id": activity_id,
            "definition": {"name": {"en-US": label}},
        },
        "timestamp": timestamp.isoformat(),
        "version": "1.0.3",
    }
    if registration is not None:
        statement["context"] = {"registration": str(registration), "platform": "Tandem"}
    return statement


def validate_agent(value: Any) -> None:
    """Raise `Invalid` unless `value` is an Agent or Group (the `agent` filter of a query)."""
    _agent(value, "agent")
