"""Where a notice the protocol owes goes when the chat refuses it: one fallback chain.

The incident channel, then the announcement channel, then a direct message to the commander,
else to each member of the owning team. A refusal for good (``ChatFailure.permanent``: the
channel archived or gone, the bot not in it, the account deactivated) moves on to the next
target; any other failure is raised, for the whole chain to be tried again a little later.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

from bot.services.chat import Chat, ChatFailure, Message, Tag

T = TypeVar("T")


class Reach(enum.StrEnum):
    """Who a notice reached: the first target of the chain that took it."""

    INCIDENT_CHANNEL = "incident_channel"
    ANNOUNCEMENT_CHANNEL = "announcement_channel"
    COMMANDER = "commander"
    OWNING_TEAM = "owning_team"
    EARLIER = "earlier"  # a holder before this one said it; found again by its tag
    NOBODY = "nobody"


@dataclass(frozen=True)
class Recipients:
    """The chain's targets for one incident; any of them may be missing.

    ``team_group`` is a user group whose members each get a direct message when no one before
    them could be reached.
    """

    channel: str | None
    announcement: str | None
    commander: str | None
    team_group: str | None

    def channels(self) -> list[str]:
        """The channels of the chain, in order, without repeats."""
        return list(dict.fromkeys(c for c in (self.channel, self.announcement) if c))


@dataclass(frozen=True)
class Delivery:
    """What became of a notice: who it reached, ``reference`` (``<channel>/<ts>`` of the first
    message posted; None for nobody) and each refusal on the way, as the chat worded it."""

    reach: Reach
    reference: str | None
    refused: tuple[str, ...] = ()

    @property
    def delivered(self) -> bool:
        return self.reach is not Reach.NOBODY


def deliver(chat: Chat, to: Recipients, message: Message, tag: Tag | None = None) -> Delivery:
    """Post ``message`` to the first target of the chain that takes it.

    Returns a Delivery of ``Reach.NOBODY`` when every target refused for good; raises the
    ChatFailure of the first failure that was not permanent (nothing after it was tried).
    """
    refused: list[str] = []
    for reach, addresses in _chain(chat, to, refused):
        posted = [
            f"{address}/{ts}"
            for address in addresses
            if (ts := _post(chat, address, message, tag, refused)) is not None
        ]
        if posted:
            return Delivery(reach, posted[0], tuple(refused))
    return Delivery(Reach.NOBODY, None, tuple(refused))


def _chain(chat: Chat, to: Recipients, refused: list[str]) -> Iterator[tuple[Reach, list[str]]]:
    """Each step of the chain and its addresses, asked for only when the step is reached."""
    if to.channel:
        yield Reach.INCIDENT_CHANNEL, [to.channel]
    if to.announcement and to.announcement != to.channel:
        yield Reach.ANNOUNCEMENT_CHANNEL, [to.announcement]
    if to.commander:
        yield Reach.COMMANDER, [to.commander]
    if to.team_group:
        members = _permanently(lambda: chat.group_members(to.team_group or ""), refused)
        yield Reach.OWNING_TEAM, [m for m in members or [] if m != to.commander]


def _post(
    chat: Chat, address: str, message: Message, tag: Tag | None, refused: list[str]
) -> str | None:
    return _permanently(lambda: chat.post(address, message, tag), refused)


def _permanently(call: Callable[[], T], refused: list[str]) -> T | None:
    """``call()``, or None when the chat refuses it for good (noted in ``refused``)."""
    try:
        return call()
    except ChatFailure as failure:
        if not failure.permanent:
            raise
        refused.append(str(failure))
        return None
