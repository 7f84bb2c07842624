"""How the Web API client waits before making a call again: a 429's Retry-After, a dropped
connection's or a server error's backoff.

slack_sdk's own handlers sleep whatever happens. These first ask the timer firing the call is
made for, if any (``bot.services.leases``): a wait its claim would not outlast renews the claim,
a lost claim ends the call with the answer it got, without waiting, and after the wait the claim
is checked again before the call is sent again.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable

from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.http_retry.jitter import RandomJitter
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from bot.services import leases

Count = Callable[[str, str], None]  # (Web API method, result) for the metrics
Sleep = Callable[[float], None]  # seconds


def _wait_then_again(state: RetryState, seconds: float, sleep: Sleep) -> None:
    """Ask for the call to be made again after ``seconds``, if the firing's claim holds."""
    if not leases.before_wait(seconds):
        return  # the timer is another replica's now: the call ends with the answer it got
    sleep(seconds)
    state.increment_current_attempt()
    state.next_attempt_requested = leases.before_send()


def retry_after(response: HttpResponse | None) -> int:
    """The seconds a 429 asks to wait (1 when it does not say)."""
    headers = response.headers if response is not None else {}
    values = next((v for k, v in headers.items() if k.lower() == "retry-after"), [])
    try:
        return max(int(values[0]), 0)
    except (IndexError, ValueError):
        return 1


class RateLimitRetry(RateLimitErrorRetryHandler):
    """Waits out a 429's Retry-After, plus up to a second as slack_sdk does, counting each."""

    def __init__(
        self, count: Count, *, sleep: Sleep = time.sleep, max_retry_count: int = 3
    ) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self._count = count
        self._sleep = sleep
        self._jitter = RandomJitter()

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        self._count(str(request.url).rsplit("/", 1)[-1], "ratelimited")
        seconds = self._jitter.recalculate(retry_after(response))
        _wait_then_again(state, seconds, self._sleep)


class ConnectionRetry(ConnectionErrorRetryHandler):
    """Makes a call whose connection dropped again, once, after slack_sdk's backoff."""

    def __init__(self, *, sleep: Sleep = time.sleep) -> None:
        super().__init__()
        self._sleep = sleep

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        _back_off(self, state, self._sleep)


def _back_off(handler: RetryHandler, state: RetryState, sleep: Sleep) -> None:
    """Make the call again after slack_sdk's backoff for this attempt (0.5 s, 1 s, ...)."""
    seconds = handler.interval_calculator.calculate_sleep_duration(state.current_attempt)
    _wait_then_again(state, seconds, sleep)


TRANSIENT_ERRORS = frozenset(
    {"fatal_error", "internal_error", "service_unavailable", "request_timeout"}
)
"""Slack's ``error`` codes that say "try again" rather than "this call is wrong"."""


def is_transient(response: HttpResponse | None) -> bool:
    """A server error: HTTP 5xx, or an answer whose ``error`` is one of TRANSIENT_ERRORS."""
    if response is None:
        return False
    if response.status_code >= 500:
        return True
    body = response.body
    if isinstance(body, bytes | str):
        try:
            body = json.loads(body)
        except ValueError:
            return False
    return isinstance(body, dict) and body.get("error") in TRANSIENT_ERRORS


def _findable(request: HttpRequest) -> bool:
    """A post carrying message metadata: Slack may have posted it before failing, and whoever
    posted it (the set-up, a timer) looks for it by its metadata before posting it again, so
    it is not sent again blindly here."""
    if not str(request.url).endswith("/chat.postMessage"):
        return False
    sent = request.data or b""
    body = sent.decode(errors="replace") if isinstance(sent, bytes) else str(sent)
    return (
        '"metadata"' in body
        or "metadata=" in body
        or bool((request.body_params or {}).get("metadata"))
    )


class ServerErrorRetry(ServerErrorRetryHandler):
    """Makes a call Slack failed on its side (5xx, ``fatal_error``, ``internal_error``…) again,
    up to ``max_retry_count`` times after slack_sdk's backoff (0.5 s, 1 s, …), counting each."""

    def __init__(
        self, count: Count, *, sleep: Sleep = time.sleep, max_retry_count: int = 2
    ) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self._count = count
        self._sleep = sleep

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        return is_transient(response) and not _findable(request)

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        self._count(str(request.url).rsplit("/", 1)[-1], "server_error")
        _back_off(self, state, self._sleep)
