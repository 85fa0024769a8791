"""Controlled vocabularies: skills (with levels 1..5), behavioural focus areas, risk flags, languages."""

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

POLITICAL_RISK_FLAGS: frozenset[str] = frozenset({"platform_lead", "c_suite_adjacent", "budget_authority"})
"""The seed's high political risk roles: any of them means a match always needs manual approval."""
