"""ORM models of the consent service: its own database, its own tables."""

from sqlalchemy.orm import DeclarativeBase
from tandem_kit.db import new_metadata


class Base(DeclarativeBase):
    metadata = new_metadata()


from tandem_consent.models.purpose import Purpose  # noqa: E402

__all__ = ["Base", "Purpose"]
