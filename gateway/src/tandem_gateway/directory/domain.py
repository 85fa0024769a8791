"""Pure directory rules: level ranks, promotions, what changed between two versions of a person."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tandem_gateway.directory.settings import DirectorySettings

# The fields whose change is a job change (PersonJobChanged), in the order the contract lists them.
JOB_FIELDS = ("title", "level", "department", "manager_id")


def level_rank(settings: DirectorySettings, level: str | None) -> int | None:
    """1 for the lowest level of the ladder; None for no level (or one the ladder no longer lists)."""
    if level is None or level not in settings.levels:
        return None
    return settings.levels.index(level) + 1


def is_leader(settings: DirectorySettings, level: str | None) -> bool:
    rank = level_rank(settings, level)
    minimum = level_rank(settings, settings.leader_min_level)
    return rank is not None and minimum is not None and rank >= minimum


def is_promotion(settings: DirectorySettings, old_level: str | None, new_level: str | None) -> bool:
    if settings.promotion_rule == "level_change":
        return old_level is not None and new_level is not None and old_level != new_level
    old_rank, new_rank = level_rank(settings, old_level), level_rank(settings, new_level)
    return old_rank is not None and new_rank is not None and new_rank > old_rank


def changed_fields(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """The keys of `new` whose value differs from `old` (in `new`'s order)."""
    return [key for key, value in new.items() if old.get(key) != value]
