"""The status page in Slack: the offer (the customer text, a button asking to confirm), what
the channel hears once it reached the page, and why it did not, for the person who pressed."""

from __future__ import annotations

import re
from typing import Any

from slack_sdk.models.blocks import ActionsBlock, ConfirmObject

from bot.adapters.slack import access, blocks, mrkdwn, numbers, verbs
from bot.adapters.statuspage import BODY_LIMIT, NAME_LIMIT
from bot.adapters.templates import Templates
from bot.core.model import Event
from bot.core.status_page import PageIncident, Send
from bot.services.access import NotPermitted
from bot.services.chat import Message
from bot.services.read_model import IncidentView
from bot.services.status_page import (
    AlreadyOpen,
    AlreadySent,
    InProgress,
    NoLongerOpen,
    NotConfigured,
    NotOpenedYet,
    Offer,
    OpenAgain,
    PageFailure,
    PagePost,
    Reason,
    Refusal,
    Superseded,
)

CONFIRM_LIMIT = 300  # characters of a confirmation dialog's text (Slack's limit)
_SLACK_TOKEN = re.compile(r"<[!@#][^>]*>")
_SLACK_LINK = re.compile(r"<(https?://[^|>]*)\|([^>]*)>")
_WHAT = {
    Send.OPEN: "open the incident on the status page",
    Send.UPDATE: "post this update on the status page",
    Send.RESOLVE: "resolve the incident on the status page",
}
_DONE = {
    Send.OPEN: "opened the incident on the status page",
    Send.UPDATE: "posted the update on the status page",
    Send.RESOLVE: "resolved the incident on the status page, its components operational again",
}


def encode(offer: Offer) -> str:
    """A button's value: ``send|incident|basis``."""
    return f"{offer.send}|{offer.incident_id}|{offer.basis}"


def decode(value: str) -> Offer:
    """The offer a button's value names; ValueError for a value no button of ours holds."""
    send, incident, basis = value.split("|")
    return Offer(numbers.whole(incident), Send(send), numbers.whole(basis))


def plain(text: str) -> str:
    """Rendered mrkdwn made plain text for customers: no Slack mention or link token, and no
    gap or stray punctuation where one was taken out ("errors for , affecting" reads
    "errors for, affecting")."""
    text = _SLACK_LINK.sub(r"\2", text.replace("&lt;", "<").replace("&gt;", ">"))
    text = _SLACK_TOKEN.sub("", text).replace("&amp;", "&")
    return "\n".join(_tidy(line) for line in text.split("\n")).strip()


def _tidy(line: str) -> str:
    line = re.sub(r"[^\S\n]+", " ", line)  # a gap left by a token: one space
    line = re.sub(r" +([,.;:!?)])", r"\1", line)  # no space before punctuation
    line = re.sub(r"([,;:])(?: *[,;:])+", r"\1", line)  # ", ," where tokens stood between
    line = re.sub(r"[,;:]+(?=[.!?])", "", line)  # "for,." at a sentence's end
    return re.sub(r"\( +", "(", line).strip()


def link(page: PageIncident) -> str:
    """The page incident's public link (mrkdwn, after a space), or nothing without one."""
    return f" {shown}" if (shown := mrkdwn.bare_link(page.url)) else ""


class SlackStatusPageWording:
    """StatusPageWording for Slack; the customer text comes from ``status_page.md.j2``."""

    def __init__(self, templates: Templates) -> None:
        self.templates = templates

    def customer_text(
        self, view: IncidentView, send: Send, names: list[str], update: Event | None
    ) -> tuple[str, str]:
        """The page's words, within Statuspage's limits: past ``BODY_LIMIT`` the update's
        impact and action are shortened ("…"), its sentence ("Next update in …") kept whole."""
        told = update.extra if update is not None else {}

        def render(shown: dict[str, str]) -> tuple[str, str]:
            text = self.templates.render(
                "status_page.md.j2",
                send=str(send),
                services=names,
                impact=shown["impact"],
                affected=told.get("affected", ""),
                action=shown["action"],
                next_update=update.next_update if update is not None else None,
            )
            name, _, body = plain(text).partition("\n")
            return mrkdwn.shortened(name.strip(), NAME_LIMIT), body.strip()

        typed = {"impact": told.get("impact", ""), "action": told.get("action", "")}
        return mrkdwn.fitted(typed, render, lambda said: len(said[1]) <= BODY_LIMIT, BODY_LIMIT)

    def offer(self, view: IncidentView, offer: Offer, post: PagePost) -> Message:
        quoted = "\n".join(f"> {mrkdwn.escape(line)}" for line in (post.name, post.body))
        head = f":globe_with_meridians: *Tell customers?* Press to {_WHAT[offer.send]}:"
        content = blocks.notice(f"{head}\n{quoted}", "")
        content.append(offer_buttons(offer, post))
        return Message(content, f"Status page: {_WHAT[offer.send]}?")

    def sent(self, view: IncidentView, user: str, send: Send, page: PageIncident) -> Message:
        text = (
            f":globe_with_meridians: {mrkdwn.user(user)} {_DONE[send]} "
            f"(_{page.status}_).{link(page)}"
        )
        return Message(blocks.notice(text, ""), text)

    def not_opened(self, view: IncidentView, failure: PageFailure) -> Message:
        text = (
            ":warning: The playbook opens the status page incident by itself, but the status "
            f"page did not take it: {why(failure)} Press the button below to try again."
        )
        return Message(blocks.notice(text, ""), text)


def offer_buttons(offer: Offer, post: PagePost) -> dict[str, Any]:
    """The offer's button, asking to confirm with the customer text it sends."""
    button = {Send.OPEN: verbs.PAGE_OPEN, Send.UPDATE: verbs.PAGE_UPDATE}.get(
        offer.send, verbs.PAGE_RESOLVE
    )
    asked = mrkdwn.shortened(mrkdwn.inert(f"{post.name}: {post.body}"), CONFIRM_LIMIT)
    confirm = ConfirmObject(title="Tell customers?", text=asked, confirm="Post it", deny="Not yet")
    return ActionsBlock(
        block_id=f"statuspage-{offer.send}-{offer.basis}",
        elements=[button.element(encode(offer), confirm=confirm)],
    ).to_dict()


def why(failure: PageFailure) -> str:
    """Why the status page did not take it, and what to do (mrkdwn sentences)."""
    code = f"HTTP {failure.status}: " if failure.status else ""
    said = f"({code}{mrkdwn.escape(failure.detail)})"
    match failure.reason:
        case Reason.UNAUTHORIZED:
            return (
                f"Statuspage refused the API key {said}. An admin must check "
                "STATUSPAGE_API_KEY (Statuspage: your avatar, API info) and restart the bot."
            )
        case Reason.NOT_FOUND:
            return (
                f"Statuspage does not know the page or its incident {said}. Check "
                "STATUSPAGE_PAGE_ID, or post on the page by hand."
            )
        case Reason.REJECTED:
            return (
                f"Statuspage rejected what I sent {said}. Check the service catalog's "
                "`status_page.components` ids against the page's components."
            )
        case Reason.RATE_LIMITED:
            return f"Statuspage is limiting how fast I may call it {said}. Try again in a minute."
        case Reason.UNAVAILABLE:
            return (
                f"Statuspage is failing {said}. Try again in a few minutes, or post on the page "
                "by hand."
            )
    return (
        f"I got no answer from Statuspage {said}, so it may or may not have reached the page: "
        "look at the page before pressing again (an incident I opened is found, not doubled)."
    )


def failed(failure: PageFailure, send: Send) -> str:
    """For the person who pressed: nothing recorded, why, and what to do."""
    return f"I could not {_WHAT[send]}; nothing is recorded as sent. {why(failure)}"


def refusal(refused: Refusal) -> str:
    """Why nothing was sent, for the person who pressed (mrkdwn)."""
    if isinstance(refused, NotPermitted):
        return access.refusal(refused)
    if isinstance(refused, AlreadySent):
        entry = refused.entry
        return (
            f"{mrkdwn.user(entry.actor)} already sent that to the status page, "
            f"{mrkdwn.date(entry.at, '{time}')}: nothing was sent twice."
        )
    if isinstance(refused, AlreadyOpen):
        return (
            f"The status page incident is already open (_{refused.page.status}_)."
            f"{link(refused.page)} Each status update offers to go there."
        )
    if isinstance(refused, NotOpenedYet):
        return (
            "No status page incident is open for this incident, so there is nothing to "
            "update there. Post a status update: it offers to open one."
        )
    if isinstance(refused, NoLongerOpen):
        return (
            "The incident is over, so nothing more goes to the status page: its resolution "
            "resolved the page incident. Type `/incident reopen` if it is back."
        )
    if isinstance(refused, OpenAgain):
        return (
            "The incident was reopened since: the status page stays as it is. Its next "
            "resolution resolves the page incident."
        )
    if isinstance(refused, Superseded):
        return (
            "A newer status update was posted since: customers get that one (its own offer). "
            "Nothing was sent."
        )
    if isinstance(refused, InProgress):
        return (
            f"{mrkdwn.user(refused.by)} is sending to the status page right now; the channel "
            "hears when it is there."
        )
    assert isinstance(refused, NotConfigured)
    return (
        "No status page is set up for this incident's services (STATUSPAGE_PAGE_ID and "
        "STATUSPAGE_API_KEY, and the catalog's `status_page.components`): nothing was sent."
    )
