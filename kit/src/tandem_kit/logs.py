"""Structured JSON logs. Personal data never reaches a log line: known fields are redacted."""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

PERSONAL_KEYS = frozenset(
    {
        "email",
        "name",
        "given_name",
        "family_name",
        "display_name",
        "phone",
        "notes",
        "address",
        "authorization",
        "token",
        "access_token",
        "client_secret",
        "password",
        "secret",
        "transcript",
    }
)


def redact_personal_data(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key in list(event):
        if key.lower() in PERSONAL_KEYS:
            event[key] = "[redacted]"
    return event


def configure_logging(level: str = "INFO", *, service: str) -> None:
    logging.basicConfig(format="%(message)s", stream=sys.stdout, level=level.upper())
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            redact_personal_data,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        cache_logger_on_first_use=True,
    )
    structlog.contextvars.bind_contextvars(service=service)
