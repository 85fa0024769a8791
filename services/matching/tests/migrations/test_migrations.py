"""0005_evidence: the typed-in mentor flags become an override, and come back on a downgrade."""

import json
from pathlib import Path

from alembic import command

from tandem_kit.migrations import alembic_config, upgrade_head
from tandem_kit.testing import Infra, in_thread, run_sql

SERVICE_DIR = Path(__file__).resolve().parents[2]
PROGRAM = "00000000-0000-4000-8000-0000000000aa"
TRAINED = "00000000-0000-4000-8000-000000000001"
UNTRAINED = "00000000-0000-4000-8000-000000000002"
CALIBRATED = "00000000-0000-4000-8000-000000000003"
NEW_COACH = "00000000-0000-4000-8000-000000000004"
PANEL = json.dumps([{"challenge_skill": 4}])


def provider(id_: str, kind: str, *, trained: bool = False, weeks: int = 0, panel: str = "[]") -> str:
    return (
        "INSERT INTO providers (id, program_id, person_id, kind, timezone, working_hours, languages, skills,"
        " behavioural_focus, calibration, bias_awareness_trained, curriculum_weeks_completed, capacity)"
        f" VALUES ('{id_}', '{PROGRAM}', gen_random_uuid(), '{kind}', 'UTC', '[]', '[]', '{{}}', '[]',"
        f" '{panel}', {str(trained).lower()}, {weeks}, 1)"
    )


def test_flags_become_an_override_and_back(infra: Infra) -> None:
    url = infra.fresh_database("matching_migrations", SERVICE_DIR)
    in_thread(command.downgrade, alembic_config(SERVICE_DIR, url), "0004_directory_facts")
    run_sql(
        url,
        "INSERT INTO programs (id, name, tracks, starts_on, ends_on, coach_caseload_limit,"
        f" mentor_high_touch_limit) VALUES ('{PROGRAM}', 'p', '[]', '2026-01-05', '2026-12-18', 20, 3)",
        provider(TRAINED, "mentor", trained=True, weeks=3),
        provider(UNTRAINED, "mentor"),
        provider(CALIBRATED, "coach", panel=PANEL),
        provider(NEW_COACH, "coach"),
    )

    upgrade_head(SERVICE_DIR, url)

    rows = run_sql(
        url,
        "SELECT id::text, eligibility_override->'gates', eligibility_override->>'by',"
        " eligibility_evaluated_at FROM providers ORDER BY id",
    )
    by = "migration:0005_evidence"
    assert rows == [
        (
            TRAINED,
            [
                "bias_awareness_training",
                "mentor_curriculum_week_1",
                "mentor_curriculum_week_2",
                "mentor_curriculum_week_3",
            ],
            by,
            None,
        ),
        (UNTRAINED, None, None, None),
        (
            CALIBRATED,
            ["coach_demo_review", "coach_co_coaching_session", "calibration_review", "recertification"],
            by,
            None,
        ),
        (NEW_COACH, None, None, None),
    ]

    in_thread(command.downgrade, alembic_config(SERVICE_DIR, url), "0004_directory_facts")
    assert run_sql(
        url, "SELECT id::text, bias_awareness_trained, curriculum_weeks_completed FROM providers ORDER BY id"
    ) == [(TRAINED, True, 3), (UNTRAINED, False, 0), (CALIBRATED, False, 0), (NEW_COACH, False, 0)]
    upgrade_head(SERVICE_DIR, url)
