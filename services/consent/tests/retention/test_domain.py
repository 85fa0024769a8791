from datetime import UTC, datetime

import pytest

from tandem_consent.retention.domain import Policy, RetentionAction, cutoff, local_category_problem, plan

AS_OF = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def test_cutoff_counts_whole_days_back() -> None:
    assert cutoff(AS_OF, 365) == datetime(2025, 11, 23, 12, 0, tzinfo=UTC)


def test_plan_puts_own_categories_first() -> None:
    policies = [
        Policy("session_notes", "scheduling", 365, RetentionAction.DELETE),
        Policy("data_subject_requests", "consent", 1095, RetentionAction.DELETE),
        Policy("audit_log", "gateway", 2190, RetentionAction.DELETE),
        Policy("consent_evidence", "consent", 2190, RetentionAction.DELETE),
    ]
    steps = plan(policies, AS_OF)
    assert [(s.policy.category, s.local) for s in steps] == [
        ("consent_evidence", True),
        ("data_subject_requests", True),
        ("audit_log", False),
        ("session_notes", False),
    ]
    assert steps[3].cutoff == datetime(2025, 11, 23, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("category", "service", "ok"),
    [
        ("consent_evidence", "consent", True),
        ("data_subject_requests", "consent", True),
        ("session_notes", "consent", False),
        ("session_notes", "scheduling", True),
        ("anything_new", "analytics", True),
    ],
)
def test_local_category_problem(category: str, service: str, ok: bool) -> None:
    assert (local_category_problem(category, service) is None) is ok
