"""Slot search over 6 weeks for two people with 500 busy events each (target p99 <= 15 ms).

Run: .venv/bin/python bench/slot_search.py [--quick] [--endpoint]

1. The pure search (`availability.domain.find_slots`) with both calendars' busy intervals given,
   against the same search with no busy events (the baseline).
2. With `--endpoint`: the scheduling endpoint `GET .../slots` end to end (token check, engagement
   read, sessions from PostgreSQL, the gateway's free/busy answer over HTTP from its cache), against
   the same endpoint for a pair without calendars. Needs the real gateway's free/busy API.

A New York participant and a Berlin coach, 09:00-17:00 on weekdays, a window from 2027-03-01 over the
US and EU DST changes (14 and 28 March), 60-minute slots on a 15-minute grid, every slot returned
(`limit` 500): the search cannot stop early. ``ratio`` is always measured value / baseline value.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import random
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from _infra import REPO, bench_line, percentile

from tandem_scheduling.availability import domain

WINDOW_START = datetime(2027, 3, 1, tzinfo=UTC)
WINDOW = domain.Interval(WINDOW_START, WINDOW_START + timedelta(weeks=6))
HOURS = [{"weekday": d, "start": "09:00", "end": "17:00"} for d in range(5)]
PEOPLE = [domain.person("America/New_York", HOURS), domain.person("Europe/Berlin", HOURS)]


def busy_events(rng: random.Random, who: domain.Person, count: int) -> list[domain.Interval]:
    """`count` meetings of 15 to 60 minutes, on the quarter hour between 07:00 and 19:00 of the person's
    weekdays (about 17 a day: a busy executive's calendar)."""
    events: list[domain.Interval] = []
    days = [WINDOW_START + timedelta(days=d) for d in range(42)]
    while len(events) < count:
        day = rng.choice(days).astimezone(who.timezone).replace(hour=0, minute=0)
        if day.weekday() >= 5:
            continue
        local = day.replace(hour=rng.randrange(7, 19), minute=rng.choice((0, 15, 30, 45)))
        start = local.astimezone(UTC)
        events.append(domain.Interval(start, start + timedelta(minutes=rng.choice((15, 30, 30, 45, 60)))))
    return events


def search(busy: list[domain.Interval]) -> list[domain.Interval]:
    return domain.find_slots(
        PEOPLE, busy, window=WINDOW, duration=timedelta(hours=1), step=timedelta(minutes=15), limit=500
    )


def timed(busy: list[domain.Interval], rounds: int) -> list[float]:
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        search(busy)
        samples.append((time.perf_counter() - started) * 1000)
    return samples


# -- the endpoint, end to end ----------------------------------------------------------------------


@contextlib.asynccontextmanager
async def calendar_stack() -> AsyncIterator[tuple[Any, str, str]]:
    """Embedded PostgreSQL and NATS, and the real gateway over HTTP with the Google and Microsoft
    fakes (`tandem_devstack.calendar_gateway`): (calendar gateway, scheduling database URL, NATS URL)."""
    from tandem_devstack.calendar_gateway import calendar_gateway
    from tandem_gateway.settings import Settings as GatewaySettings
    from tandem_gateway.testing import INTERNAL_SECRET, closed_port_url
    from tandem_kit.embedded import EmbeddedNats, EmbeddedPostgres, free_port
    from tandem_kit.migrations import upgrade_head

    with tempfile.TemporaryDirectory(prefix="tandem-bench-slots-") as tmp:
        pg, nats = (
            EmbeddedPostgres(Path(tmp) / "pg", free_port(), fast=True),
            EmbeddedNats(Path(tmp) / "n", free_port()),
        )
        pg.start()
        nats.start()
        try:
            for name, part in (("gateway", "gateway"), ("scheduling", "services/scheduling")):
                pg.ensure_database(name)
                upgrade_head(REPO / part, pg.url(name))
            down = closed_port_url()

            def settings(calendar_sync: Any, calendar_oauth: Any) -> GatewaySettings:
                return GatewaySettings(
                    environment="test",
                    database_url=pg.url("gateway"),
                    nats_url=nats.url,
                    issuer="https://gateway.tandem.test",
                    internal_secret=INTERNAL_SECRET,
                    matching_url=down,
                    scheduling_url=down,
                    consent_url=down,
                    analytics_url=down,
                    graphql_subgraphs=(),
                    calendar_sync=calendar_sync,
                    calendar_oauth=calendar_oauth,
                )

            async with calendar_gateway(settings) as gateway:
                yield gateway, pg.url("scheduling"), nats.url
        finally:
            nats.stop()
            pg.stop()


async def endpoint(rounds: int) -> None:
    from tandem_gateway.testing import create_oauth_client
    from tandem_kit.oauth_client import ClientCredentials, ServiceClient
    from tandem_kit.testing import TestKeys, running
    from tandem_scheduling.app import create_app
    from tandem_scheduling.engagement import service as engagement_service
    from tandem_scheduling.engagement.schemas import MatchApproved
    from tandem_scheduling.gateway_client import links
    from tandem_scheduling.settings import Settings

    logging.getLogger("httpx").setLevel(logging.WARNING)
    async with calendar_stack() as (calendars, database_url, nats_url):
        gateway, gateway_url, google, microsoft = (
            calendars.app,
            calendars.url,
            calendars.google,
            calendars.microsoft,
        )
        participant, coach = uuid.uuid4(), uuid.uuid4()
        await calendars.connect("google", participant, "ana@example.test")
        await calendars.connect("microsoft", coach, "ben@contoso.test")
        rng = random.Random(14)
        for event in busy_events(rng, PEOPLE[0], 500):
            google.put_event(
                "ana@example.test",
                {"start": {"dateTime": event.start.isoformat()}, "end": {"dateTime": event.end.isoformat()}},
            )
        for event in busy_events(rng, PEOPLE[1], 500):
            microsoft.put_event(
                "ben@contoso.test",
                {
                    "showAs": "busy",
                    "start": {"dateTime": event.start.strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"},
                    "end": {"dateTime": event.end.strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"},
                },
            )
        # Each seeded meeting notifies the gateway (a change notification per event): let them land
        # before timing anything.
        await calendars.drain()
        creds = await create_oauth_client(gateway, "calendars:freebusy", name="scheduling")
        tokens = ClientCredentials(
            token_url=f"{gateway_url}/oauth/token",
            client_id=creds.client_id,
            client_secret=creds.secret,
            scopes=["calendars:freebusy"],
        )
        keys = TestKeys()
        settings = Settings(
            environment="test", database_url=database_url, nats_url=nats_url, sla_scan_seconds=0
        )
        client = ServiceClient(gateway_url, tokens)
        app = create_app(settings, token_verifier=keys.verifier("scheduling"), gateway=client)
        hours = [{"weekday": d, "start": "09:00", "end": "17:00"} for d in range(5)]
        async with running(app):
            # Scheduling asks the gateway only about people it has heard connect (`CalendarConnected`).
            for _ in range(300):
                async with app.state.database.sessionmaker() as session:
                    if await links.connected_people(session, [participant, coach]) == {participant, coach}:
                        break
                await asyncio.sleep(0.05)
            pairs = []
            async with app.state.database.sessionmaker() as session:
                for p, c in ((participant, coach), (uuid.uuid4(), uuid.uuid4())):
                    match = {
                        "match_id": str(uuid.uuid4()),
                        "proposal_id": str(uuid.uuid4()),
                        "program_id": str(uuid.uuid4()),
                        "participant_id": str(p),
                        "provider_id": str(uuid.uuid4()),
                        "provider_person_id": str(c),
                        "provider_kind": "coach",
                        "track": "coach",
                        "score": 80.0,
                        "approved_at": datetime.now(UTC).isoformat(),
                        "approved_by": "bench",
                        "participant_timezone": "America/New_York",
                        "participant_working_hours": hours,
                        "provider_timezone": "Europe/Berlin",
                        "provider_working_hours": hours,
                    }
                    engagement = await engagement_service.create_from_match(
                        session, MatchApproved.model_validate(match)
                    )
                    pairs.append(engagement.id)
                await session.commit()
            headers = keys.headers("scheduling:read")
            params = {
                "from": WINDOW.start.isoformat(),
                "to": WINDOW.end.isoformat(),
                "duration": "60",
                "step": "15",
                "limit": "500",
            }
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://scheduling.test") as http:

                async def timed(engagement: uuid.UUID) -> list[float]:
                    url = f"/api/v1/scheduling/engagements/{engagement}/slots"
                    first = (await http.get(url, params=params, headers=headers)).json()  # fills the cache
                    samples = []
                    for _ in range(rounds):
                        started = time.perf_counter()
                        resp = await http.get(url, params=params, headers=headers)
                        samples.append((time.perf_counter() - started) * 1000)
                        assert resp.status_code == 200, resp.text
                    calendars = [(c["role"], c["calendar"], c["reason"]) for c in first["calendars"]]
                    print(f"endpoint: {len(first['slots'])} slots, calendars {calendars}")
                    return samples

                loaded, plain = await timed(pairs[0]), await timed(pairs[1])
        await client.aclose()
    for q in (50, 99):
        print(
            bench_line(
                f"slot_search_endpoint_p{q}",
                percentile(loaded, q),
                "ms",
                "no_calendars",
                percentile(plain, q),
            )
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--endpoint", action="store_true")
    args = parser.parse_args()
    rounds = 50 if args.quick else 500
    if args.endpoint:
        asyncio.run(endpoint(50 if args.quick else 200))
        return
    rng = random.Random(14)
    busy = [b for who in PEOPLE for b in busy_events(rng, who, 500)]
    search(busy)  # warm the zone caches
    loaded, empty = timed(busy, rounds), timed([], rounds)
    print(f"slots found: {len(search(busy))} with 1000 busy events, {len(search([]))} without")
    for q in (50, 99):
        print(
            bench_line(
                f"slot_search_p{q}", percentile(loaded, q), "ms", "no_busy_events", percentile(empty, q)
            )
        )


if __name__ == "__main__":
    main()
