"""The seed's decision matrix: intake triggers -> track (pure).

| trigger | track | outcome | cadence |
|---|---|---|---|
| performance_gap | coach | 90-day KPI attainment | 8-12 sessions over 3-6 months |
| career_transition | mentor | promotion readiness, internal mobility | monthly, 9-12 months |
| high_stakes_behavioural_shift | coach_then_mentor | behaviour change, then sponsorship | 3-4 month coaching sprint, then a mentor |
| retention_risk_underrepresented | mentor_plus_coaching | retention through sponsorship | mentor 9-12 months plus periodic coaching |

Several triggers at once: retention risk wins (its sponsorship need is the point of the track); a
behavioural shift, or a performance gap together with a career transition (both behaviour and
sponsorship are needed), is dual track with the coaching sprint first.
"""

from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum

from tandem_matching.scoring.domain import ProviderKind


class Trigger(StrEnum):
    PERFORMANCE_GAP = "performance_gap"
    CAREER_TRANSITION = "career_transition"
    HIGH_STAKES_BEHAVIOURAL_SHIFT = "high_stakes_behavioural_shift"
    RETENTION_RISK_UNDERREPRESENTED = "retention_risk_underrepresented"


class Track(StrEnum):
    COACH = "coach"
    MENTOR = "mentor"
    COACH_THEN_MENTOR = "coach_then_mentor"
    MENTOR_PLUS_COACHING = "mentor_plus_coaching"


@dataclass(frozen=True)
class TrackPlan:
    """What a track means operationally: who is matched, in what order, for how long."""

    provider_kinds: tuple[ProviderKind, ...]
    outcome: str
    months: tuple[int, int]
    sessions: tuple[int, int] | None = None
    coaching_sprint_months: tuple[int, int] | None = None


PLANS: dict[Track, TrackPlan] = {
    Track.COACH: TrackPlan((ProviderKind.COACH,), "90-day KPI attainment", months=(3, 6), sessions=(8, 12)),
    Track.MENTOR: TrackPlan(
        (ProviderKind.MENTOR,), "promotion readiness and internal mobility", months=(9, 12)
    ),
    Track.COACH_THEN_MENTOR: TrackPlan(
        (ProviderKind.COACH, ProviderKind.MENTOR),
        "behaviour change, then post-change sponsorship",
        months=(12, 16),
        coaching_sprint_months=(3, 4),
    ),
    Track.MENTOR_PLUS_COACHING: TrackPlan(
        (ProviderKind.MENTOR, ProviderKind.COACH),
        "retention through sponsorship, with periodic coaching on performance signals",
        months=(9, 12),
    ),
}


@dataclass(frozen=True)
class TrackDecision:
    track: Track
    reason: str
    promotion_related: bool

    @property
    def plan(self) -> TrackPlan:
        return PLANS[self.track]


class NoTrigger(ValueError):
    pass


def decide_track(triggers: Collection[Trigger]) -> TrackDecision:
    """The track for a set of intake triggers, with the rule that decided it."""
    found = frozenset(Trigger(t) for t in triggers)
    if not found:
        raise NoTrigger("at least one trigger is needed")
    promotion = Trigger.CAREER_TRANSITION in found
    if Trigger.RETENTION_RISK_UNDERREPRESENTED in found:
        return TrackDecision(
            Track.MENTOR_PLUS_COACHING,
            "retention risk for under-represented talent: a mentor for sponsorship plus periodic "
            "coaching for performance signals",
            promotion,
        )
    if Trigger.HIGH_STAKES_BEHAVIOURAL_SHIFT in found:
        return TrackDecision(
            Track.COACH_THEN_MENTOR,
            "high-stakes behavioural shift: a 3-4 month coaching sprint for the behaviour, then a mentor "
            "for post-change sponsorship",
            promotion,
        )
    if found == {Trigger.PERFORMANCE_GAP, Trigger.CAREER_TRANSITION}:
        return TrackDecision(
            Track.COACH_THEN_MENTOR,
            "performance gap and career transition: both behaviour and sponsorship are needed, so a "
            "coaching sprint first, then a mentor",
            promotion,
        )
    if Trigger.CAREER_TRANSITION in found:
        return TrackDecision(
            Track.MENTOR,
            "career transition or promotion pathway: a mentor for promotion readiness over 9-12 months",
            promotion,
        )
    return TrackDecision(
        Track.COACH,
        "immediate performance gap on a project: a coach for 90-day KPI attainment in 8-12 sessions",
        promotion,
    )


def kinds_for(track: Track) -> tuple[ProviderKind, ...]:
    return PLANS[track].provider_kinds


def open_kinds(
    track: Track, *, active: Collection[ProviderKind], completed: Collection[ProviderKind]
) -> tuple[ProviderKind, ...]:
    """The kinds still to match, in order. Dual track is sequential: the coaching sprint first, the
    mentor only once a coaching match ended `completed`, nothing while the sprint runs."""
    kinds = kinds_for(track)
    if track is Track.COACH_THEN_MENTOR:
        if ProviderKind.COACH in active:
            return ()
        kinds = (ProviderKind.MENTOR,) if ProviderKind.COACH in completed else (ProviderKind.COACH,)
    return tuple(k for k in kinds if k not in active)


def sprint_blocks_mentor(track: Track, kind: ProviderKind, *, coach_active: bool) -> bool:
    """No mentor match of a dual-track participant may start while their coaching sprint runs."""
    return track is Track.COACH_THEN_MENTOR and kind is ProviderKind.MENTOR and coach_active


def is_high_political_risk(flags: Collection[str], *, provider_sensitive_role: bool = False) -> bool:
    """Platform leads, C-suite adjacent roles and direct budget authority always need manual approval,
    and so does a match with a provider whose own role is sensitive (seed 004 §2: the risk is the
    pair's, not only the participant's)."""
    return bool(flags) or provider_sensitive_role


class CaseFlag(StrEnum):
    """Cases the seed sends to external coaches (seed 000: "escalate for C-suite transitions,
    high-stakes performance interventions")."""

    C_SUITE_TRANSITION = "c_suite_transition"
    HIGH_STAKES_PERFORMANCE = "high_stakes_performance"


CASE_TEXT = {
    CaseFlag.C_SUITE_TRANSITION: "a C-suite transition",
    CaseFlag.HIGH_STAKES_PERFORMANCE: "a high-stakes performance intervention",
}


def needs_external_coach(case_flags: Collection[str]) -> bool:
    """C-suite transitions and high-stakes performance cases are coached by external coaches only."""
    return any(flag in CASE_TEXT for flag in case_flags)


def external_coach_note(case_flags: Collection[str]) -> str | None:
    """Why only external coaches were ranked, for the proposal's explanation (None when the rule is off)."""
    cases = [CASE_TEXT[CaseFlag(f)] for f in case_flags if f in CASE_TEXT]
    if not cases:
        return None
    return (
        f"Only external coaches were ranked: the intake is {' and '.join(cases)}, which the seed routes "
        "to external coaches for neutrality and confidentiality."
    )


# What a program must run to accept a track: any one of the sets.
TRACK_NEEDS: dict[Track, tuple[frozenset[str], ...]] = {
    Track.COACH: (frozenset({"coaching"}),),
    Track.MENTOR: (frozenset({"mentoring"}),),
    Track.COACH_THEN_MENTOR: (frozenset({"dual_track"}),),
    Track.MENTOR_PLUS_COACHING: (frozenset({"dual_track"}), frozenset({"mentoring", "coaching"})),
}


def offers(program_tracks: Collection[str], track: Track) -> bool:
    """Whether a program running `program_tracks` (coaching, mentoring, dual_track) offers `track`."""
    offered = frozenset(program_tracks)
    return any(needs <= offered for needs in TRACK_NEEDS[track])
