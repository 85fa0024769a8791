"""Scheduling service settings (environment prefix `SCHEDULING_`)."""

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from tandem_kit.settings import CallerSettings


class Settings(CallerSettings):
    model_config = SettingsConfigDict(env_prefix="SCHEDULING_", extra="ignore", env_nested_delimiter="__")

    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/scheduling"
    client_id: str = Field(default="scheduling", description="This service's OAuth client id.")
    sla_scan_seconds: float = Field(
        default=60.0,
        ge=0,
        description="Seconds between SLA breach scans (SCHEDULING_SLA_SCAN_SECONDS); 0 disables.",
    )
    sla_scan_batch: int = Field(
        default=1000,
        ge=1,
        description=(
            "Clocks one pass of the SLA scan breaches at most, each pass its own transaction "
            "(SCHEDULING_SLA_SCAN_BATCH)."
        ),
    )
    attendance_floor: float = Field(
        default=0.8,
        gt=0,
        le=1,
        description="Attendance floor of an engagement (seed 004: 80 %); SCHEDULING_ATTENDANCE_FLOOR.",
    )
    attendance_min_outcomes: int = Field(
        default=3,
        ge=1,
        description="Outcomes an engagement needs before it can be flagged under the floor.",
    )
    gateway_url: str = Field(
        default="",
        description="Base URL of the gateway's service APIs (free/busy); default: the token URL's origin.",
    )
    calendar_budget_seconds: float = Field(
        default=3.0,
        gt=0,
        description=(
            "Longest wait for the gateway's free/busy answer before both parties count as unknown; longer "
            "than the gateway's own read timeout (2 s), so its `timeout` answer arrives first."
        ),
    )

    @model_validator(mode="after")
    def _gateway_from_token_url(self) -> "Settings":
        if not self.gateway_url:
            self.gateway_url = self.token_url.removesuffix("/oauth/token")
        return self
