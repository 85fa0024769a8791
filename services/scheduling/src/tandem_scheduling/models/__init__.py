"""ORM models of the scheduling service: its own database, its own tables."""

from sqlalchemy.orm import DeclarativeBase
from tandem_kit.db import new_metadata


class Base(DeclarativeBase):
    metadata = new_metadata()


__all__ = ["Base"]
