"""ORM models of the consent service: its own database, its own tables."""

from sqlalchemy.orm import DeclarativeBase

from tandem_kit.db import new_metadata


class Base(DeclarativeBase):
    metadata = new_metadata()


from tandem_consent.models.anonymity import AnonymityRule  # noqa: E402
from tandem_consent.models.consent import ConsentRecord, ConsentState  # noqa: E402
from tandem_consent.models.data_field import DataField  # noqa: E402
from tandem_consent.models.notice import Notice  # noqa: E402
from tandem_consent.models.purpose import Purpose  # noqa: E402
from tandem_consent.models.request import DataSubjectReceipt, DataSubjectRequest  # noqa: E402
from tandem_consent.models.retention import RetentionPolicy, RetentionRun  # noqa: E402

__all__ = [
    "AnonymityRule",
    "Base",
    "ConsentRecord",
    "ConsentState",
    "DataField",
    "DataSubjectReceipt",
    "DataSubjectRequest",
    "Notice",
    "Purpose",
    "RetentionPolicy",
    "RetentionRun",
]
