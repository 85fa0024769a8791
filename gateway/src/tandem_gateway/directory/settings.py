"""Directory settings (`GATEWAY_DIRECTORY__*`): the level ladder and what counts as a promotion."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

DEFAULT_LEVELS = (
    "associate",
    "professional",
    "senior",
    "lead",
    "manager",
    "senior_manager",
    "director",
    "senior_director",
    "vice_president",
    "senior_vice_president",
    "executive",
)

PromotionRule = Literal["level_rank_increase", "level_change"]


class DirectorySettings(BaseModel):
    """The enterprise's level ladder (lowest first) and the rules read from it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    levels: tuple[str, ...] = Field(
        default=DEFAULT_LEVELS,
        min_length=1,
        description="Known levels, lowest first (JSON list); a level not listed is refused (400 invalidValue).",
    )
    leader_min_level: str = Field(
        default="manager",
        description="The lowest level counted as a leader (the pool rule's `active_leaders`).",
    )
    promotion_rule: PromotionRule = Field(
        default="level_rank_increase",
        description="`level_rank_increase`: a promotion is a move up the ladder; `level_change`: any level change.",
    )

    @model_validator(mode="after")
    def _known_leader_level(self) -> DirectorySettings:
        if len(set(self.levels)) != len(self.levels):
            raise ValueError("directory levels list a level twice")
        if self.leader_min_level not in self.levels:
            raise ValueError(f"leader_min_level {self.leader_min_level!r} is not one of the levels")
        return self
