"""ORM models of the matching service: its own database, its own tables."""

from sqlalchemy.orm import DeclarativeBase

from tandem_kit.db import new_metadata


class Base(DeclarativeBase):
    metadata = new_metadata()


from tandem_matching.models.calibration import CalibrationRecord  # noqa: E402
from tandem_matching.models.directory import DirectoryPerson  # noqa: E402
from tandem_matching.models.evidence import TrainingEvidence  # noqa: E402
from tandem_matching.models.handoff import Handoff, SponsorAction  # noqa: E402
from tandem_matching.models.intake import Intake  # noqa: E402
from tandem_matching.models.match import Decision, Match  # noqa: E402
from tandem_matching.models.outcome import ProviderOutcome  # noqa: E402
from tandem_matching.models.program import Cohort, Program, WeightSetVersion  # noqa: E402
from tandem_matching.models.proposal import Proposal, ProposalCandidate  # noqa: E402
from tandem_matching.models.provider import Provider  # noqa: E402

__all__ = [
    "Base",
    "CalibrationRecord",
    "Cohort",
    "Decision",
    "DirectoryPerson",
    "Handoff",
    "Intake",
    "Match",
    "Program",
    "Proposal",
    "ProposalCandidate",
    "Provider",
    "ProviderOutcome",
    "SponsorAction",
    "TrainingEvidence",
    "WeightSetVersion",
]
