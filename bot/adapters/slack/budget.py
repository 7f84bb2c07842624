"""How often the bot may call each Web API method: Slack's published rates, as buckets every
replica draws from, so a burst of work waits its turn here instead of collecting 429s.

Slack limits each method per app per workspace, in tiers (docs.slack.dev/apis/web-api/rate-limits,
"Rate limits", fetched 2026-12-01): Tier 1 "1+ per minute", Tier 2 "20+ per minute", Tier 3
"50+ per minute", Tier 4 "100+ per minute", each "allowing for occasional bursts"; and
chat.postMessage "generally allows posting one message per second per channel, while also
maintaining a workspace-wide limit" ("Posting messages: 1 per second; short bursts >1 allowed").
Each method's tier is the one its reference page gives (docs.slack.dev/reference/methods/NAME,
"Rate limits"; read from slack-ruby/slack-api-ref's copy of those pages, docs.slack.dev/methods/
NAME.json, ``rate_limits``: t2, t3, t4, t5 = Special). The bot paces itself at each tier's floor,
with a burst of a quarter of a minute's calls; the workspace-wide posting limit is not
published, so only Slack's 429 (``retries.RateLimitRetry``, kept as the backstop) enforces it.

A bucket is a GCRA (generic cell rate algorithm, the token bucket as one number): its state is
the time its next call would be on schedule (``tat``, epoch seconds). A call reserves the next
slot and waits until it; a call whose slot is further off than it may wait reserves nothing and
is refused, the way Slack's 429 that outlasted the retries refuses it today.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from bot.services import leases
from bot.services.ports import StorageUnavailable

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Rate:
    """``per_minute`` calls a minute on average, ``burst`` of them at once after a pause."""

    per_minute: float
    burst: int

    def scaled(self, factor: float) -> Rate:
        return Rate(self.per_minute * factor, max(1, math.ceil(self.burst * factor)))

    @property
    def interval(self) -> float:
        """Seconds between calls on schedule."""
        return 60.0 / self.per_minute

    @property
    def tolerance(self) -> float:
        """How far ahead of schedule a call may go (seconds): a burst's worth of intervals."""
        return (self.burst - 1) * self.interval


TIER_1 = Rate(1, 1)
TIER_2 = Rate(20, 5)
TIER_3 = Rate(50, 12)
TIER_4 = Rate(100, 25)
POSTS_PER_CHANNEL = Rate(60, 3)  # chat.postMessage: 1 per second per channel, short bursts

RATES: dict[str, Rate] = {
    "auth.test": TIER_4,  # Special (higher than Tier 4 in practice); Tier 4 as a floor
    "chat.getPermalink": TIER_4,  # Special, likewise
    "chat.postEphemeral": TIER_4,
    "chat.postMessage": POSTS_PER_CHANNEL,  # Special: per channel (see ``key``)
    "chat.update": TIER_3,
    "conversations.create": TIER_2,
    "conversations.history": TIER_3,  # internal apps; non-Marketplace apps since 2025: less
    "conversations.info": TIER_3,
    "conversations.invite": TIER_3,
    "conversations.list": TIER_2,
    "conversations.replies": TIER_3,  # internal apps; non-Marketplace apps since 2025: less
    "conversations.setTopic": TIER_2,
    "files.upload_v2": TIER_4,  # files.getUploadURLExternal and files.completeUploadExternal
    "pins.add": TIER_2,
    "usergroups.list": TIER_2,
    "usergroups.users.list": TIER_2,
    "users.info": TIER_4,
    "views.open": TIER_4,
}
"""Each Web API method the gateway calls, at its tier's published floor."""

UNKNOWN = TIER_2  # "Most methods allow at least 20 requests per minute"

TRIGGER_SECONDS = 2.0
"""The longest views.open waits: its trigger_id expires 3 s after the click, so a later call
would fail anyway."""


def key(method: str, channel: str | None = None) -> str:
    """The bucket a call draws from: the method's, or for a post the channel's
    (``slack:chat.postMessage:C0123``); at most 100 characters (``bot_state.key``)."""
    if method == "chat.postMessage" and channel:
        return f"slack:{method}:{channel}"[:100]
    return f"slack:{method}"


def slot(
    tat: float, now: float, interval: float, tolerance: float, max_wait: float
) -> tuple[float, float | None]:
    """A bucket at ``tat`` (its next call's time on schedule) asked at ``now`` for a call that
    may wait ``max_wait``, its calls ``interval`` apart and ``tolerance`` ahead of schedule at
    most (all seconds; ``Rate``): (its ``tat`` after, the seconds to wait for the slot
    reserved), or (``tat``, None) when the slot is more than ``max_wait`` off (none reserved)."""
    start = max(tat, now)
    wait = max(start - tolerance - now, 0.0)
    if wait > max_wait:
        return tat, None
    return start + interval, wait


class Buckets(Protocol):
    def reserve(
        self, key: str, now: float, interval: float, tolerance: float, max_wait: float
    ) -> float | None:
        """Reserve the next slot of bucket ``key`` (``slot``): the seconds to wait for it from
        ``now``, or None (nothing reserved) when that is more than ``max_wait``;
        StorageUnavailable when the buckets cannot be reached."""
        ...


class LocalBuckets:
    """Buckets in this process, for one replica (or while the shared ones are unreachable)."""

    KEPT = 1024  # buckets (one per channel posted to) kept before the idle ones are dropped

    def __init__(self) -> None:
        self._tats: dict[str, float] = {}
        self._lock = threading.Lock()

    def reserve(
        self, key: str, now: float, interval: float, tolerance: float, max_wait: float
    ) -> float | None:
        with self._lock:
            if len(self._tats) >= self.KEPT:
                # A bucket whose tat has passed is full: dropping it forgets nothing.
                self._tats = {k: tat for k, tat in self._tats.items() if tat > now}
            tat = self._tats.get(key, 0.0)
            self._tats[key], wait = slot(tat, now, interval, tolerance, max_wait)
            return wait

    def __len__(self) -> int:
        return len(self._tats)


RETRY_SHARED_SECONDS = 30.0
"""After the shared buckets failed, how long the local ones stand in before asking again."""


class Budget:
    """Paces the Web API calls: ``wait_turn`` before each.

    ``shared``: the buckets every replica draws from (the database's), when there are several;
    while they fail, this replica's own stand in (logged once). ``scale`` multiplies every rate
    (a benchmark against a stand-in that does not limit sets it high). ``clock`` (epoch
    seconds) and ``sleep`` (seconds) are injected for tests.
    """

    def __init__(
        self,
        shared: Buckets | None = None,
        *,
        scale: float = 1.0,
        max_wait: float = 60.0,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.shared = shared
        self.local = LocalBuckets()
        self.scale = scale
        self.max_wait = max_wait
        self.clock = clock
        self.sleep = sleep
        self._shared_down_until: float | None = None

    def rate(self, method: str) -> Rate:
        return RATES.get(method, UNKNOWN).scaled(self.scale)

    def wait_turn(self, method: str, channel: str | None = None) -> bool:
        """Wait for this call's slot; True when it may be made now.

        False, having waited for nothing, when its slot is more than ``max_wait`` seconds off
        (views.open: ``TRIGGER_SECONDS``), or when the timer firing it is made for (if any)
        lost its claim before or during the wait (``leases.before_wait``, ``before_send``).
        """
        max_wait = min(TRIGGER_SECONDS, self.max_wait) if method == "views.open" else self.max_wait
        wait = self._reserve(key(method, channel), self.rate(method), max_wait)
        if wait is None:
            log.warning(
                "Slack call over its rate budget",
                extra={"slack_method": method, "max_wait": max_wait},
            )
            return False
        if wait <= 0:
            return True
        if not leases.before_wait(wait):
            return False
        self.sleep(wait)
        return leases.before_send()

    def _reserve(self, bucket: str, rate: Rate, max_wait: float) -> float | None:
        now = self.clock()
        asked = (bucket, now, rate.interval, rate.tolerance, max_wait)
        if self.shared is None or (
            self._shared_down_until is not None and now < self._shared_down_until
        ):
            return self.local.reserve(*asked)
        try:
            wait = self.shared.reserve(*asked)
        except StorageUnavailable as error:  # Slack calls go on, paced by this replica alone
            if self._shared_down_until is None:
                log.warning(
                    "the shared Slack rate budget is unreachable; pacing this replica alone",
                    extra={"error": type(error).__name__},
                )
            self._shared_down_until = now + RETRY_SHARED_SECONDS
            return self.local.reserve(*asked)
        if self._shared_down_until is not None:
            log.info("the shared Slack rate budget is back")
            self._shared_down_until = None
        return wait
