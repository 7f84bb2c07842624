"""Every ``/incident`` verb and card button, declared once; help, parsing and listeners read it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from bot.adapters.slack import commands, follow_up_commands, modals, numbers, updates
from bot.adapters.slack.commands import Command
from bot.adapters.slack.registry import (
    Anywhere,
    Asks,
    Button,
    Form,
    InIncident,
    Registry,
    Verb,
)
from bot.core.lifecycle import OPEN_STATES, State
from bot.core.model import EventKind, Severity
from bot.core.status_page import Send
from bot.services.response import NOTHING_SHOWN, Shown
from bot.services.rollback import Decision

if TYPE_CHECKING:
    from bot.adapters.slack.handlers import Handlers
    from bot.adapters.slack.replies import Invocation, Reply

Does = Callable[["Handlers", "Invocation", int, Shown], "Reply | None"]
"""A use case on one incident, by its id, while it is as shown (a button says how it showed
it; a typed command shows nothing): what a no-argument verb and its button share."""


def _moves(kind: EventKind, says: str) -> Does:
    """Record ``kind`` and tell the channel ``says`` (``{who}`` is who did it)."""
    return lambda h, who, incident_id, shown: h.act(who, incident_id, kind, says, shown=shown)


def _on_incident(
    name: str,
    summary: str,
    does: Does,
    *,
    aliases: tuple[str, ...] = (),
    button: Button | None = None,
) -> Verb:
    """A verb that takes no arguments and does ``does`` to the channel's incident."""
    runs = InIncident(lambda h, who, _command, view: does(h, who, view.id, NOTHING_SHOWN))
    return Verb(name, name, summary, name, commands.no_arguments, runs, aliases, button=button)


def _card_button(
    action_id: str,
    label: str,
    does: Does,
    on_card: Iterable[State],
    style: str | None = None,
    *,
    while_as_shown: bool = True,
    asks: Asks | None = None,
) -> Button:
    """A button on the incident card that does ``does``; its value is the incident's id and
    the state the card showed, and ``while_as_shown`` it acts only while the incident is so."""

    def click(h: Handlers, who: Invocation, value: str) -> Reply | None:
        incident_id, state, moves = [*value.split(":"), "", ""][:3]
        shown = (
            Shown(state=State(state), changes=numbers.whole(moves) if moves else None)
            if state and while_as_shown
            else NOTHING_SHOWN
        )
        return does(h, who, numbers.whole(incident_id), shown)

    return Button(action_id, label, click, style, frozenset(on_card), asks)


def _severity(level: Severity, summary: str) -> Verb:
    return Verb(
        level.value,
        f"{level.value} <title>",
        summary,
        f"{level.value} checkout is returning 500s",
        commands.declare,
        Anywhere(lambda h, who, command: h.declare_now(who, command)),
        aliases=(f"s{level.value[-1]}",),
        acking=":rotating_light: Declaring a {severity}…",
        retried=True,
    )


def _give_a_title(command: Command) -> str:
    level = command.severity.value if command.severity else Severity.SEV1.value
    return (
        f"Give the incident a title: `/incident {level} checkout is returning 500s`. "
        f"To change an incident's severity, type `/incident &lt;number&gt; {level}` "
        f"(`/incident list` shows the numbers), or `/incident {level}` alone in its channel."
    )


def _change_severity(h: Handlers, who: Invocation, value: str) -> Reply | None:
    """``incident:severity[:severity shown[:changes before]]``: the change, while the incident
    is as shown."""
    incident_id, severity, *shown = value.split(":")
    changes = numbers.whole(shown[1]) if len(shown) > 1 else None
    then = Shown(severity=Severity(shown[0]), changes=changes) if shown else NOTHING_SHOWN
    return h.change_severity(who, numbers.whole(incident_id), Severity(severity), then)


ACK = _moves(EventKind.ACKNOWLEDGED, ":raising_hand: {who} is responding.")
MITIGATE = _moves(EventKind.MITIGATED, ":adhesive_bandage: {who} marked the incident mitigated.")
REOPEN = _moves(EventKind.REOPENED, ":rotating_light: {who} reopened the incident.")


def _resolve(h: Handlers, who: Invocation, incident_id: int, shown: Shown) -> Reply | None:
    return h.resolve(who, incident_id, shown)


CHANGE_SEVERITY = Button("incident.severity", "Change to {}", _change_severity, "danger")
POST_UPDATE = Button(
    "incident.update",
    "Post status update",
    lambda h, who, value: h.open_update_form(who, numbers.whole(value.partition(":")[0])),
    "primary",
)
DECLARE_FROM_ALERT = Button(
    "incident.declare_from_alert",
    "Declare",
    lambda h, who, fingerprint: h.declare_from_alert(who, fingerprint),
    "danger",
)


def _decides(decision: Decision, action_id: str, label: str, style: str | None = None) -> Button:
    """A rollback decision about the deploy its value names (``rollback.encode``)."""
    return Button(action_id, label, lambda h, who, value: h.decide(who, decision, value), style)


ROLL_BACK = _decides(Decision.ROLL_BACK, "incident.rollback", "Roll back", "danger")
NOT_RELATED = _decides(Decision.NOT_RELATED, "incident.not_related", "Not related")
ROLLED_BACK = _decides(Decision.ROLLED_BACK, "incident.rolled_back", "Already rolled back")


def _to_page(send: Send, action_id: str, label: str) -> Button:
    """Sends what its value names to the status page (``status_page.encode``)."""
    return Button(
        action_id, label, lambda h, who, value: h.send_to_status_page(who, send, value), "primary"
    )


PAGE_OPEN = _to_page(Send.OPEN, "incident.statuspage_open", "Open on status page")
PAGE_UPDATE = _to_page(Send.UPDATE, "incident.statuspage_update", "Post to status page")
PAGE_RESOLVE = _to_page(Send.RESOLVE, "incident.statuspage_resolve", "Resolve on status page")
VERBS = Registry(
    [
        _severity(Severity.SEV1, "declare a Sev1 (site down, data-loss risk) at once"),
        _severity(Severity.SEV2, "declare a Sev2 (degraded, partial outage)"),
        _severity(Severity.SEV3, "log a Sev3 (minor, workaround exists) and file a ticket"),
        Verb(
            "declare",
            "declare",
            "open the declaration form (also plain `/incident`)",
            "declare",
            commands.declaration_form,
            Anywhere(lambda h, who, _command: h.open_declaration(who)),
            form=Form(
                modals.DECLARE,
                lambda view, now: modals.read_declaration(view, now).errors,
                lambda h, who, view, now: h.declare_by_form(who, view, now),
            ),
        ),
        _on_incident(
            "ack",
            "I'm responding",
            ACK,
            button=_card_button(
                "incident.ack", "I'm responding", ACK, OPEN_STATES, "primary", while_as_shown=False
            ),
        ),
        _on_incident(
            "join",
            "join the response",
            _moves(EventKind.JOINED, ":wave: {who} joined the response."),
        ),
        Verb(
            "ic",
            "ic @user",
            "make someone the incident commander",
            "ic @alice",
            commands.commander,
            InIncident(lambda h, who, command, view: h.assign_commander(who, command, view)),
            aliases=("commander",),
        ),
        Verb(
            "role",
            "role <role> @user",
            "give someone a role (comms, scribe, ...)",
            "role comms @alice",
            commands.role,
            InIncident(lambda h, who, command, view: h.assign_role(who, command, view)),
        ),
        Verb(
            "service",
            "service <name...>",
            "set the affected services",
            "service checkout payments",
            commands.names,
            InIncident(lambda h, who, command, view: h.set_services(who, command, view)),
            aliases=("services",),
        ),
        _on_incident(
            "mitigated",
            "the bleeding has stopped",
            MITIGATE,
            aliases=("mitigate",),
            button=_card_button("incident.mitigated", "Mitigated", MITIGATE, [State.INVESTIGATING]),
        ),
        _on_incident(
            "resolve",
            "the incident is over",
            _resolve,
            aliases=("resolved",),
            button=_card_button(
                "incident.resolve",
                "Resolve",
                _resolve,
                OPEN_STATES,
                "danger",
                asks=Asks(
                    "Resolve the incident?",
                    "It ends the incident for everyone: its clocks stop and the "
                    "post-mortem clock starts.",
                    "Resolve",
                ),
            ),
        ),
        _on_incident(
            "reopen",
            "it is back",
            REOPEN,
            button=_card_button(
                "incident.reopen", "Reopen", REOPEN, [State.RESOLVED, State.CLOSED]
            ),
        ),
        _on_incident(
            "close",
            "close a resolved incident",
            _moves(EventKind.CLOSED, ":lock: {who} closed the incident."),
            aliases=("closed",),
        ),
        Verb(
            "note",
            "note <text>",
            "add an entry to the timeline",
            "note rolled back checkout to v41",
            commands.text,
            InIncident(lambda h, who, command, view: h.note(who, command, view)),
        ),
        Verb(
            "update",
            "update [impact=… affected=… action=… next=…]",
            "post a status update (a form, or all on one line)",
            'update impact="checkout errors" affected=5% action="rolling back" next=30m',
            commands.any_text,
            InIncident(lambda h, who, command, view: h.update(who, command, view)),
            button=POST_UPDATE,
            form=Form(
                updates.CALLBACK,
                lambda view, _now: updates.read_modal(view)[1].errors,
                lambda h, who, view, now: h.update_by_form(who, view, now),
            ),
        ),
        Verb(
            "follow-up",
            "follow-up <what> [@owner] [due <when>]",
            "add a follow-up (action item); `follow-up <n> done`, `wontdo <why>`, "
            "`owner @x`, `due <when>` or `edit <what>` changes one (a text made of a change word "
            "and a follow-up number, in either order, `#n` or `n.` too, is a change, as is one "
            'that starts with a number: to add one that does, quote it: `follow-up "2 more '
            'replicas"`); `due [by|on|in] <when>` may come before or after the @owner',
            "follow-up add retries to the payment client @bob due 14d",
            follow_up_commands.follow_up,
            InIncident(lambda h, who, command, view: h.follow_ups.command(who, command, view)),
            aliases=("followup", "action"),
        ),
        Verb(
            "follow-ups",
            "follow-ups",
            "the incident's follow-ups: owners, due dates, states, issues",
            "follow-ups",
            commands.no_arguments,
            InIncident(lambda h, _who, _command, view: h.follow_ups.listing(view)),
            aliases=("followups", "actions"),
        ),
        Verb(
            "deps",
            "deps",
            "check the affected services' dependencies now",
            "deps",
            commands.no_arguments,
            InIncident(lambda h, who, _command, view: h.dependencies(who, view)),
        ),
        Verb(
            "postmortem",
            "postmortem [done <url>]",
            "write the post-mortem draft, or record the published one",
            "postmortem done https://wiki.example/pm-42",
            commands.postmortem,
            InIncident(lambda h, who, command, view: h.postmortem(who, command, view)),
        ),
        Verb(
            "status",
            "status",
            "show the incident card again",
            "status",
            commands.no_arguments,
            InIncident(lambda h, _who, _command, view: h.status(view)),
        ),
        Verb(
            "timeline",
            "timeline",
            "show the timeline",
            "timeline",
            commands.no_arguments,
            InIncident(lambda h, _who, _command, view: h.timeline(view)),
        ),
        Verb(
            "deploy",
            "deploy <service> <version>",
            "record a deploy by hand (finished now)",
            "deploy checkout v42",
            commands.deploy,
            Anywhere(lambda h, who, command: h.record_deploy(who, command)),
        ),
        Verb(
            "deploys",
            "deploys [service]",
            "recent deploys, newest first",
            "deploys checkout",
            commands.deploys,
            Anywhere(lambda h, _who, command: h.list_deploys(command)),
        ),
        Verb(
            "list",
            "list",
            "open incidents, their commanders and next deadlines",
            "list",
            commands.no_arguments,
            Anywhere(lambda h, _who, _command: h.open_incidents()),
        ),
        Verb(
            "stats",
            "stats [30d]",
            "response times and deadlines kept, the last 30 days (or 7d, 90d...), for you",
            "stats 90d",
            commands.stats,
            Anywhere(lambda h, _who, command: h.stats(command)),
        ),
        Verb(
            "help",
            "help",
            "this list",
            "help",
            commands.no_arguments,
            Anywhere(lambda h, _who, _command: h.help()),
            in_ack=True,
        ),
        # Typed as `/incident sev2` alone in an incident's channel (commands.declare hands it on):
        # it proposes the change, and its button makes it.
        Verb(
            "severity",
            "sev1|sev2|sev3",
            "change the severity",
            "sev2",
            commands.handed_on,
            InIncident(
                lambda h, who, command, view: h.propose_severity(command, view), _give_a_title
            ),
            button=CHANGE_SEVERITY,
            typed=False,
        ),
    ],
    buttons=[
        DECLARE_FROM_ALERT,
        ROLL_BACK,
        NOT_RELATED,
        ROLLED_BACK,
        PAGE_OPEN,
        PAGE_UPDATE,
        PAGE_RESOLVE,
    ],
)
