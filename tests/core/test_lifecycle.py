import pytest

from bot.core import lifecycle
from bot.core.lifecycle import Action, State


@pytest.mark.parametrize(("move", "target"), lifecycle.TRANSITIONS.items())
def test_every_transition_in_the_table(move: tuple[State, Action], target: State) -> None:
    state, action = move
    assert lifecycle.transition(state, action) is target


ILLEGAL = [
    (state, action)
    for state in State
    for action in Action
    if (state, action) not in lifecycle.TRANSITIONS
]


@pytest.mark.parametrize(("state", "action"), ILLEGAL)
def test_illegal_moves_name_the_state_and_the_allowed_moves(state: State, action: Action) -> None:
    with pytest.raises(lifecycle.IllegalTransition) as raised:
        lifecycle.transition(state, action)
    message = str(raised.value)
    article = "an" if state is State.INVESTIGATING else "a"  # the only state said with a vowel
    assert message.startswith(f"{article} {state} incident cannot {action}; it can: ")
    for allowed in lifecycle.allowed_actions(state):
        assert str(allowed) in message


def test_the_happy_path_investigating_mitigated_resolved_closed() -> None:
    state = State.INVESTIGATING
    for action in (Action.MITIGATE, Action.RESOLVE, Action.CLOSE):
        state = lifecycle.transition(state, action)
    assert state is State.CLOSED


def test_a_closed_incident_can_only_be_reopened() -> None:
    assert lifecycle.allowed_actions(State.CLOSED) == (Action.REOPEN,)


def test_severity_changes_only_while_open() -> None:
    changeable = {s for s in State if Action.CHANGE_SEVERITY in lifecycle.allowed_actions(s)}
    assert changeable == set(lifecycle.OPEN_STATES)
