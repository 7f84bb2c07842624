"""Bolt listeners: acknowledge at once, then do the work in a lazy listener.

Each listener parses the request into our types, calls ``Handlers`` and renders the reply. The ack
path touches neither Slack nor the database, so it answers well within Slack's 3 seconds.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from slack_bolt import Ack, App, BoltRequest, Respond

from bot.adapters.slack import blocks, failures, mrkdwn
from bot.adapters.slack.commands import Command, UsageError
from bot.adapters.slack.gateway import SlackFailure, SlackGateway, chat_message
from bot.adapters.slack.handlers import Handlers
from bot.adapters.slack.pins import pin_change
from bot.adapters.slack.replies import Invocation, Reply, error
from bot.adapters.slack.verbs import VERBS
from bot.services.channel_notes import ChannelNotes, PinChange
from bot.services.clock import Clock, system_clock
from bot.services.deliveries import Deliveries
from bot.services.ports import COMMITS, StorageUnavailable
from bot.services.records import IncidentNotFound
from bot.services.response import NotTold

log = logging.getLogger(__name__)
ADDED_EVENTS = ("pin_added", "reaction_added")
REMOVED_EVENTS = ("pin_removed", "reaction_removed")
EVENTS = ADDED_EVENTS + REMOVED_EVENTS  # every event listened to: the manifest subscribes to these

DATABASE_DOWN = (
    "The incident database is unreachable, so nothing was recorded. Try again in a minute; "
    "if it persists, coordinate in the announcement channel by hand and page the on-call."
)
DATABASE_LOST_MIDWAY = (
    "The incident database went away part way: some of this was recorded before it did "
    "(`/incident timeline` shows what, once it is back), the rest was not. Check before you "
    "try again; if it persists, coordinate in the announcement channel by hand."
)
APOLOGY = "Something went wrong on my side and it was logged. Nothing was recorded; try again."
APOLOGY_MIDWAY = (
    "Something went wrong on my side and it was logged, after part of this was recorded: "
    "`/incident timeline` shows what. Check it before you try again."
)


def _is_retry(request: BoltRequest) -> bool:
    return bool(request.headers.get("x-slack-retry-num"))


# What an acknowledged request's work ended in when it failed: "database", "slack", "not_told"
# (recorded, not posted) or "error"; counted by the metrics (the ack already answered 200).
Failed = Callable[[str], None]


def _guarded(
    work: Callable[[], Reply | None],
    respond: Callable[..., object],
    later: Callable[[Callable[[], object]], object] = lambda then: then(),
    failed: Failed = lambda cause: None,
) -> None:
    """Run ``work`` and send its reply; turn failures into a reply the user can act on, saying
    whether anything was recorded before it failed, and tell ``failed`` why."""
    commits: list[datetime] = []
    token = COMMITS.set(commits)
    try:
        reply = work()
    except StorageUnavailable:
        log.exception("database unavailable")
        reply = error(DATABASE_LOST_MIDWAY if commits else DATABASE_DOWN)
        failed("database")
    except NotTold as partial:
        log.warning("recorded, but not told: %s", partial.failure)
        reply = error(failures.not_told(partial))
        failed("not_told")
    except IncidentNotFound as missing:  # a forged or stale id: the user hears, no traceback
        log.warning("asked about an incident that does not exist: %s", missing)
        reply = error(f"{str(missing).capitalize()}: `/incident list` shows the open ones.")
    except SlackFailure as failure:
        log.exception("slack call failed")
        reply = error(failures.refused(failure))
        failed("slack")
    except Exception:
        log.exception("unexpected error in a listener")
        reply = error(APOLOGY_MIDWAY if commits else APOLOGY)
        failed("error")
    finally:
        COMMITS.reset(token)
    if reply is not None:
        respond(
            blocks=reply.blocks,
            text=mrkdwn.fallback(reply.text),
            response_type="ephemeral",
            replace_original=False,
        )
    if reply is not None and reply.then is not None:
        later(_logged(reply.then, failed))


def _logged(then: Callable[[], object], failed: Failed) -> Callable[[], None]:
    def run() -> None:
        try:
            then()
        except Exception:
            log.exception("follow-up work failed")
            failed("error")

    return run


def _quietly(work: Callable[[], object], failed: Failed = lambda cause: None) -> None:
    """Events have no one to answer: failures are logged, and counted through ``failed``."""
    try:
        work()
    except Exception:
        log.exception("could not handle a Slack event")
        failed("error")


FOLLOW_UP_SHORTCUT = "incident.follow_up"
"""The message shortcut "Add as follow-up" (deploy/slack-app-manifest.yaml)."""


class Listeners:
    def __init__(
        self,
        handlers: Handlers,
        gateway: SlackGateway,
        notes: ChannelNotes,
        later: Callable[[Callable[[], object]], object],
        clock: Clock = system_clock,
        deliveries: Deliveries | None = None,
        failed: Callable[[str, str], None] = lambda kind, cause: None,
        soon: Callable[[Callable[[], object]], object] | None = None,
    ) -> None:
        self.handlers = handlers
        self.gateway = gateway
        self.notes = notes
        self.later = later  # where follow-up work runs, after every pending answer
        # Where the work after an ack runs (default: at once, in the request's thread).
        self._soon = soon or (lambda work: work())
        self.clock = clock
        self.deliveries = deliveries  # None: every delivery is taken as the first
        self.failed = failed  # (command, action, view or event; cause): work failed after the ack

    def register(self, app: App) -> None:
        """Each listener acks, then hands its work to ``soon``: Bolt's lazy listeners would
        deep-copy every request for a thread of their own, half the CPU of an ack. Replays are
        refused before Bolt sees them (``inbound.SlackDoor``)."""
        app.command("/incident")(self.command)
        for button in VERBS.buttons():
            app.action(button.action_id)(self.button)
        for form in VERBS.forms():
            app.view(form.callback_id)(self.form)
        app.shortcut(FOLLOW_UP_SHORTCUT)(self.shortcut)
        for added in ADDED_EVENTS:
            app.event(added)(self.pinned)
        for removed in REMOVED_EVENTS:
            app.event(removed)(self.unpinned)

    def soon(self, kind: str, work: Callable[[], None]) -> None:
        """Run ``work`` after the ack; what escapes it (an answer Slack's response_url
        refused, a payload of an unexpected shape) is logged and counted, never lost."""

        def logged() -> None:
            try:
                work()
            except Exception:
                log.exception("the work after an ack failed", extra={"kind": kind})
                self.failed(kind, "error")

        self._soon(logged)

    def command(
        self, ack: Ack, body: dict[str, Any], request: BoltRequest, respond: Respond
    ) -> None:
        command = self.ack_command(ack, body, request)
        if command is not None:
            self.soon("command", lambda: self.run_command(body, command, respond))

    def button(self, ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        self.soon("action", lambda: self.run_button(body, respond))

    def form(self, ack: Ack, body: dict[str, Any]) -> None:
        self.ack_form(ack, body)
        self.soon("view", lambda: self.run_form(body))

    def shortcut(self, ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        self.soon("shortcut", lambda: self.run_shortcut(body, respond))

    def pinned(self, ack: Ack, event: dict[str, Any], body: dict[str, Any]) -> None:
        ack()
        self.soon("event", lambda: self.run_pinned(event, body))

    def unpinned(self, ack: Ack, event: dict[str, Any], body: dict[str, Any]) -> None:
        ack()
        self.soon("event", lambda: self.run_unpinned(event, body))

    def _first(self, key: str | None) -> bool:
        """Whether this delivery is the request's first (a retry or duplicate is not: its
        work is started already, here or on another replica)."""
        if key is None or self.deliveries is None or self.deliveries.first(key):
            return True
        log.info("ignored a repeated Slack delivery", extra={"delivery": key})
        return False

    # --- /incident ------------------------------------------------------------------------------

    def ack_command(self, ack: Ack, body: dict[str, Any], request: BoltRequest) -> Command | None:
        """Answer the command in the ack (a usage error, a verb answered there, the verb's
        acknowledgement); the command when work is left for after the ack (None: there is
        none, as for a retry of a verb that is not retried)."""
        try:
            command = VERBS.parse(str(body.get("text", "")))
        except UsageError as usage:
            ack(blocks=blocks.error(str(usage)), text=str(usage), response_type="ephemeral")
            return None
        verb = VERBS[command.name]
        retried = _is_retry(request)
        if verb.in_ack:
            reply = self.handlers.command(_typist(body), command)
            assert reply is not None
            ack(blocks=reply.blocks, text=reply.text, response_type="ephemeral")
            return None
        if verb.acking and not retried:
            label = command.severity.label if command.severity else ""
            ack(text=verb.acking.format(severity=label), response_type="ephemeral")
        else:
            ack()
        return None if retried and not verb.retried else command

    def run_command(self, body: dict[str, Any], command: Command, respond: Respond) -> None:
        """The work of ``command`` (parsed by the ack from ``body``), answered through
        ``respond``."""
        verb = VERBS[command.name]
        who = _typist(body)
        # A declaration is made once by its own request key, and answered on every retry.
        key = None if verb.retried else _key("command", who.team, who.trigger_id)

        def work() -> Reply | None:
            return self.handlers.command(who, command) if self._first(key) else None

        _guarded(work, respond, self.later, lambda cause: self.failed("command", cause))

    # --- buttons --------------------------------------------------------------------------------

    def run_button(self, body: dict[str, Any], respond: Respond) -> None:
        """A button of the registry: its use case, with the button's value. A button whose
        work is done for good gives way, in its message, to what was done."""
        action = body["actions"][0]
        who = _clicker(body)
        key = _key("action", who.team, who.trigger_id or str(action.get("action_ts") or ""))

        used: list[blocks.Blocks] = []

        def click() -> Reply | None:
            if not self._first(key):
                return None
            reply = self.handlers.click(who, action["action_id"], str(action["value"]))
            if reply is None or reply.spent is None:
                return reply
            used.append(reply.spent)
            return reply if reply.blocks else None

        # Declaring from an alert: its set-up runs after the reply.
        _guarded(click, respond, self.later, lambda cause: self.failed("action", cause))
        for spent in used:  # after the presser's answer: they read why first
            _spend(body, spent, respond)

    def run_shortcut(self, body: dict[str, Any], respond: Respond) -> None:
        """ "Add as follow-up" on a message: once per trigger however often Slack sends it."""
        who = _clicker(body)
        message = body.get("message") or {}
        key = _key("shortcut", who.team, who.trigger_id)

        def add() -> Reply | None:
            if not self._first(key):
                return None
            # a screenshot or an alert alone says what it is in its files and attachments
            said, ts = chat_message(message).everything(), str(message.get("ts") or "")
            return self.handlers.follow_ups.from_message(who, said, ts)

        _guarded(add, respond, self.later)

    def run_pinned(self, event: dict[str, Any], body: dict[str, Any]) -> None:
        self._on_event(body, event, self.notes.pinned)

    def run_unpinned(self, event: dict[str, Any], body: dict[str, Any]) -> None:
        self._on_event(body, event, self.notes.unpinned)

    def _on_event(
        self, body: dict[str, Any], event: dict[str, Any], note: Callable[[PinChange], None]
    ) -> None:
        """A pin event, once per event id however often Slack delivers it."""
        change = pin_change(event)
        if change is None:
            return
        key = _key("event", str(body.get("team_id") or ""), str(body.get("event_id") or ""))

        def work() -> None:
            if self._first(key):
                note(change)

        _quietly(work, lambda cause: self.failed("event", cause))

    # --- forms ------------------------------------------------------------------------------------

    def ack_form(self, ack: Ack, body: dict[str, Any]) -> None:
        """A form of the registry, submitted: its errors shown at once, or accepted."""
        view = body["view"]
        errors = VERBS.form(str(view.get("callback_id"))).errors(view, self.clock())
        if errors:
            ack(response_action="errors", errors=dict(errors))
        else:
            ack()

    def run_form(self, body: dict[str, Any]) -> None:
        """Its use case, once accepted; the submitter hears privately where it was opened."""
        view = body["view"]
        form = VERBS.form(str(view.get("callback_id")))
        now = self.clock()
        if form.errors(view, now):
            return  # refused in the acknowledgement
        user = str(body["user"]["id"])
        who = Invocation(user=user, channel=user, team=body.get("team", {}).get("id", ""))
        tell_in = {"channel": user}  # a direct message until the use case names the channel

        key = _key("view", who.team, str(view.get("id") or ""))

        def submit() -> Reply | None:
            if not self._first(key):
                return None
            submitted = form.submit(self.handlers, who, view, now)
            tell_in["channel"] = submitted.tell_in or user
            return submitted.reply

        def told(**reply: Any) -> None:
            self._tell(replace(who, channel=tell_in["channel"]), reply)

        _guarded(submit, told, self.later, lambda cause: self.failed("view", cause))

    def _tell(self, who: Invocation, reply: dict[str, Any]) -> None:
        """Tell a modal's submitter privately: where they opened it, else in a direct message."""
        content, text = reply["blocks"], reply["text"]
        try:
            self.gateway.ephemeral(who.channel, who.user, content, text)
        except SlackFailure:
            try:
                self.gateway.post(who.user, content, text)
            except SlackFailure as failure:  # the work is done; only the telling failed
                log.warning("could not tell a form's submitter: %s", failure)


def _key(kind: str, team: str, request_id: str) -> str | None:
    """A request's key, the same on every delivery of it; None when Slack sent no id."""
    return f"{kind}:{team}:{request_id}" if request_id else None


def _spend(body: dict[str, Any], used: blocks.Blocks, respond: Respond) -> None:
    """Replace the pressed button's row in its message with ``used`` (the message's other
    blocks kept when Slack sent them along; an ephemeral message is replaced whole)."""
    block_id = body["actions"][0].get("block_id")
    message = body.get("message") or {}
    kept: list[dict[str, Any]] = []
    for block in message.get("blocks") or []:
        if block.get("type") == "actions" and block.get("block_id") == block_id:
            kept += used
            used = []
        else:
            kept.append(block)
    try:
        text = str(message.get("text") or "A used button")
        respond(blocks=[*kept, *used], text=text, replace_original=True)
    except Exception:
        log.exception("could not mark a used button")  # the work is done; the reply still goes


def _typist(body: dict[str, Any]) -> Invocation:
    """Who typed a slash command, where."""
    return Invocation(
        user=body["user_id"],
        channel=body["channel_id"],
        team=body.get("team_id", ""),
        trigger_id=body.get("trigger_id", ""),
    )


def _clicker(body: dict[str, Any]) -> Invocation:
    channel = body.get("channel") or body.get("container") or {}
    return Invocation(
        user=body["user"]["id"],
        channel=str(channel.get("id") or channel.get("channel_id") or ""),
        team=body.get("team", {}).get("id", ""),
        trigger_id=body.get("trigger_id", ""),
    )
