"""ORM models of the analytics service: its own database, its own tables."""

from sqlalchemy.orm import DeclarativeBase

from tandem_kit.db import new_metadata


class Base(DeclarativeBase):
    metadata = new_metadata()


from tandem_analytics.models import pilot  # noqa: E402, F401 (pilots, gates, decisions, complexity bands)
from tandem_analytics.models.business_kpi import BusinessKpiValue  # noqa: E402
from tandem_analytics.models.fact import (  # noqa: E402
    EngagementFact,
    MatchFact,
    ProviderFact,
    SessionFact,
    SlaFact,
)
from tandem_analytics.models.kpi import (  # noqa: E402
    KpiProgram,
    KpiPublication,
    KpiSnapshot,
    KpiSnapshotValue,
    KpiTarget,
)
from tandem_analytics.models.operation import (  # noqa: E402
    AgreementFact,
    AttendanceFact,
    ConsentChange,
    ConsentPeriod,
    EscalationFact,
    GroupSeatFact,
    ProgramStatusFact,
    ProposalFact,
    SlaOutcomeFact,
    SponsorActionFact,
)
from tandem_analytics.models.outcome import ProviderOutcome  # noqa: E402
from tandem_analytics.models.person import AnalyticsConsent, JobFact, PersonFact, PromotionFact  # noqa: E402
from tandem_analytics.models.sharing import VendorSharingConsent  # noqa: E402
from tandem_analytics.models.survey import CoachingAdoptionReport, NpsResponse, SurveyMessage  # noqa: E402
from tandem_analytics.models.telemetry import SessionTelemetry, VendorSessionOutcome  # noqa: E402
from tandem_analytics.models.vendor import Vendor  # noqa: E402

__all__ = [
    "AgreementFact",
    "AnalyticsConsent",
    "AttendanceFact",
    "Base",
    "BusinessKpiValue",
    "CoachingAdoptionReport",
    "ConsentChange",
    "ConsentPeriod",
    "EngagementFact",
    "EscalationFact",
    "GroupSeatFact",
    "JobFact",
    "KpiProgram",
    "KpiPublication",
    "KpiSnapshot",
    "KpiSnapshotValue",
    "KpiTarget",
    "MatchFact",
    "NpsResponse",
    "PersonFact",
    "ProgramStatusFact",
    "PromotionFact",
    "ProposalFact",
    "ProviderFact",
    "ProviderOutcome",
    "SessionFact",
    "SessionTelemetry",
    "SlaFact",
    "SlaOutcomeFact",
    "SponsorActionFact",
    "SurveyMessage",
    "Vendor",
    "VendorSessionOutcome",
    "VendorSharingConsent",
]
