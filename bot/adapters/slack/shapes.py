"""The shapes of the requests Slack sends us, as far as Bolt and our listeners read them.

A request is checked against its kind's shape before Bolt sees it, so a malformed or wrong-typed
payload is refused at the door (400) instead of failing deep in a listener. Only the fields we
read are declared; everything else Slack sends passes through untouched (``extra="allow"``).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError


class _Shape(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)


class _Id(_Shape):
    id: str = Field(min_length=1)


class _OptionalId(_Shape):
    id: str | None = None


class SlashCommand(_Shape):
    command: str = Field(min_length=1)
    text: str = ""
    user_id: str = Field(min_length=1)
    channel_id: str = Field(min_length=1)
    team_id: str = ""
    trigger_id: str = ""
    response_url: str = ""


class _Action(_Shape):
    action_id: str = Field(min_length=1)
    value: str = ""
    block_id: str | None = None
    action_ts: str | None = None


class _Channel(_Shape):
    id: str | None = None
    channel_id: str | None = None


class _Message(_Shape):
    text: str | None = None
    blocks: list[dict[str, Any]] | None = None


class BlockActions(_Shape):
    user: _Id
    actions: list[_Action] = Field(min_length=1)
    team: _OptionalId = _OptionalId()
    channel: _Channel | None = None
    container: _Channel | None = None
    message: _Message | None = None
    trigger_id: str = ""


class _Option(_Shape):
    value: str


class _Element(_Shape):
    """One input's state: what the element kind holds (text, a choice, choices, a time)."""

    value: str | None = None
    selected_option: _Option | None = None
    selected_options: list[_Option] | None = None
    selected_date_time: int | None = None


class _State(_Shape):
    values: dict[str, dict[str, _Element]] = {}


class _View(_Shape):
    type: str  # Bolt reads it (a workflow step's form or not)
    id: str = ""
    callback_id: str = Field(min_length=1)
    private_metadata: str = ""
    state: _State = _State()


class ViewSubmission(_Shape):
    user: _Id
    view: _View
    team: _OptionalId = _OptionalId()


class _File(_Shape):
    id: str | None = None
    name: str | None = None
    title: str | None = None
    permalink: str | None = None


class _Attachment(_Shape):
    text: str | None = None
    fallback: str | None = None
    pretext: str | None = None
    title: str | None = None


class _PinnedMessage(_Shape):
    ts: str | None = None
    text: str | None = None
    user: str | None = None
    permalink: str | None = None
    files: list[_File] | None = None
    attachments: list[_Attachment] | None = None


class MessageAction(_Shape):
    """A message shortcut ("Add as follow-up"): who, where, and the message it was used on."""

    user: _Id
    callback_id: str = Field(min_length=1)
    message: _PinnedMessage
    channel: _Channel | None = None
    team: _OptionalId = _OptionalId()
    trigger_id: str = ""
    message_ts: str | None = None


class _Item(_Shape):
    """What a pin or reaction event is about, in each of Slack's documented variants: a message
    (``channel`` and ``ts``, a pin's ``message`` too), a file (a pin gives the file object, a
    reaction only its id) or a (legacy) file comment (a pin gives ``comment`` and the file
    objects, a reaction the ``file_comment`` and ``file`` ids)."""

    type: str = "message"
    channel: str | None = None
    ts: str | None = None
    message: _PinnedMessage | None = None
    file: _File | str | None = None
    file_comment: _OptionalId | str | None = None
    comment: _OptionalId | None = None


class _Event(_Shape):
    type: str = Field(min_length=1)
    user: str | None = None
    channel_id: str | None = None
    reaction: str | None = None
    item: _Item | None = None


class EventCallback(_Shape):
    event: _Event
    team_id: str = ""  # Slack sends it; absent, the delivery has no key
    event_id: str = ""


class UrlVerification(_Shape):
    challenge: str


SHAPES: dict[str, type[_Shape]] = {
    "block_actions": BlockActions,
    "view_submission": ViewSubmission,
    "view_closed": ViewSubmission,
    "message_action": MessageAction,
    "event_callback": EventCallback,
    "url_verification": UrlVerification,
}
_OBJECT = TypeAdapter(dict[str, Any])


def problem(body: Any) -> str | None:
    """What is wrong with a parsed request body (None: it has its kind's shape).

    A form without ``payload`` is a slash command (or Slack's ``ssl_check``); anything else
    names its kind in ``type``, and a kind we have no shape for is left to Bolt, which answers
    what it has no listener for."""
    try:
        fields = _OBJECT.validate_python(body, strict=True)
    except ValidationError:
        return "the body is not an object"
    kind = fields.get("type")
    if kind is None and "command" in fields:
        return _mismatch(SlashCommand, fields)
    if kind is None and fields.get("ssl_check") == "1":
        return None
    if not isinstance(kind, str):
        return "no type"
    shape = SHAPES.get(kind)
    return _mismatch(shape, fields) if shape else None


def _mismatch(shape: type[_Shape], fields: dict[str, Any]) -> str | None:
    try:
        shape.model_validate(fields)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        return f"{shape.__name__}: {where}: {first['msg']}"
    return None
