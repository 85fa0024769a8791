"""RFC 5545 calendar text for an engagement's sessions."""

from collections.abc import Iterable
from datetime import UTC, datetime

from tandem_scheduling.models import Engagement, Session

PRODID = "-//Tandem//Scheduling//EN"


def _stamp(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _text(value: str) -> str:
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line: str) -> str:
    """Lines longer than 75 octets continue on the next line after CRLF and a space (section 3.1)."""
    raw = line.encode()
    parts: list[str] = []
    while len(raw) > 75:
        cut = 75 if not parts else 74
        # Never split a UTF-8 sequence: back off to a character boundary.
        while cut > 0 and (raw[cut] & 0xC0) == 0x80:
            cut -= 1
        parts.append(raw[:cut].decode())
        raw = raw[cut:]
    parts.append(raw.decode())
    return "\r\n ".join(parts)


def calendar(engagement: Engagement, sessions: Iterable[Session], *, now: datetime) -> str:
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{_text(f'Tandem {engagement.provider_kind} engagement')}",
    ]
    for s in sessions:
        lines += [
            "BEGIN:VEVENT",
            f"UID:{s.id}@tandem",
            f"DTSTAMP:{_stamp(now)}",
            f"DTSTART:{_stamp(s.starts_at)}",
            f"DTEND:{_stamp(s.ends_at)}",
            f"SUMMARY:{_text(f'{s.kind.capitalize()} {engagement.provider_kind} session')}",
            f"STATUS:{'CANCELLED' if s.status == 'cancelled' else 'CONFIRMED'}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(_fold(line) + "\r\n" for line in lines)
