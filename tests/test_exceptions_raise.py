"""Every exception class in ``bot`` survives being raised through a ``@contextmanager``.

``contextlib`` assigns ``exc.__traceback__`` on the way out of a ``with`` block; an exception
that is a frozen dataclass refuses that with ``FrozenInstanceError``, so the ``except`` meant
for it misses (issue 17: a timer firing inside ``leases.holding`` while Slack is unreachable).
The walk covers exception classes added later too.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

import bot
from bot.adapters.slack.gateway import SlackFailure
from bot.services.chat import ChatFailure


def _exception_classes() -> list[type[BaseException]]:
    """Each ``BaseException`` subclass defined in a ``bot`` module (``__main__`` skipped)."""
    found: dict[str, type[BaseException]] = {}
    for info in pkgutil.walk_packages(bot.__path__, "bot."):
        if info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        for _, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, BaseException) and value.__module__.startswith("bot."):
                found[f"{value.__module__}.{value.__qualname__}"] = value
    return [found[name] for name in sorted(found)]


@contextmanager
def _holding() -> Iterator[None]:
    yield


def test_the_walk_finds_the_exception_classes() -> None:
    assert SlackFailure in _exception_classes()
    assert len(_exception_classes()) > 20


@pytest.mark.parametrize("kind", _exception_classes(), ids=lambda kind: kind.__qualname__)
def test_each_exception_survives_a_contextmanager(kind: type[BaseException]) -> None:
    error = kind.__new__(kind)
    with pytest.raises(kind) as caught, _holding():
        raise error
    assert caught.value is error


def test_slack_failure_is_caught_as_chat_failure_through_a_with_block() -> None:
    with pytest.raises(ChatFailure) as caught, _holding():
        raise SlackFailure("chat.postMessage", "could not reach Slack (ConnectError)")
    assert isinstance(caught.value, SlackFailure)
    assert str(caught.value) == "chat.postMessage failed: could not reach Slack (ConnectError)"
    assert caught.value.method == "chat.postMessage"
