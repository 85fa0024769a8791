"""Controlled vocabularies: skills (with levels 1..5) and behavioural focus areas (risk flags: `intake/schemas.py`)."""

SKILLS: frozenset[str] = frozenset(
    {
        "ml_engineering",
        "ml_governance",
        "data_platforms",
        "data_science",
        "cloud_architecture",
        "security",
        "product_strategy",
        "product_management",
        "software_delivery",
        "finance",
        "operations",
        "people_leadership",
        "ai_transformation",
    }
)
"""Technical skill keys; a level is 1 (aware) .. 5 (expert)."""

BEHAVIOURAL_FOCUS: frozenset[str] = frozenset(
    {
        "stakeholder_management",
        "decision_hygiene",
        "executive_presence",
        "change_leadership",
        "delegation",
        "feedback",
        "influence",
        "strategic_thinking",
        "conflict_resolution",
        "communication",
    }
)
