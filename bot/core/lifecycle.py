"""The incident lifecycle as a transition table: which action moves which state where."""

from __future__ import annotations

import enum
from collections.abc import Mapping


class State(enum.StrEnum):
    INVESTIGATING = "investigating"
    MITIGATED = "mitigated"
    RESOLVED = "resolved"
    CLOSED = "closed"


class Action(enum.StrEnum):
    CHANGE_SEVERITY = "change severity"
    MITIGATE = "mitigate"
    RESOLVE = "resolve"
    REOPEN = "reopen"
    CLOSE = "close"


TRANSITIONS: Mapping[tuple[State, Action], State] = {
    (State.INVESTIGATING, Action.CHANGE_SEVERITY): State.INVESTIGATING,
    (State.INVESTIGATING, Action.MITIGATE): State.MITIGATED,
    (State.INVESTIGATING, Action.RESOLVE): State.RESOLVED,
    (State.MITIGATED, Action.CHANGE_SEVERITY): State.MITIGATED,
    (State.MITIGATED, Action.RESOLVE): State.RESOLVED,
    (State.MITIGATED, Action.REOPEN): State.INVESTIGATING,
    (State.RESOLVED, Action.REOPEN): State.INVESTIGATING,
    (State.RESOLVED, Action.CLOSE): State.CLOSED,
    (State.CLOSED, Action.REOPEN): State.INVESTIGATING,
}

OPEN_STATES = frozenset({State.INVESTIGATING, State.MITIGATED})
POSTMORTEM_STATES = frozenset({State.RESOLVED, State.CLOSED})
"""Where a published post-mortem can be recorded: it tells the whole incident, its end
included, and its deadline starts at the resolution."""


class IllegalTransition(ValueError):
    """An action the incident's current state does not allow."""

    def __init__(self, state: State, action: Action) -> None:
        allowed = ", ".join(str(a) for a in allowed_actions(state)) or "nothing"
        article = "an" if str(state)[0] in "aeiou" else "a"
        super().__init__(f"{article} {state} incident cannot {action}; it can: {allowed}")
        self.state = state
        self.action = action


def allowed_actions(state: State) -> tuple[Action, ...]:
    return tuple(action for (source, action) in TRANSITIONS if source is state)


def transition(state: State, action: Action) -> State:
    """The state after ``action``, or IllegalTransition naming the state and its allowed moves."""
    try:
        return TRANSITIONS[(state, action)]
    except KeyError:
        raise IllegalTransition(state, action) from None
