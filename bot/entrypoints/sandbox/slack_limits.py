"""Slack's size limits on a message, as the stand-in enforces them (docs.slack.dev, Block Kit).

Slack refuses a message over these with ``invalid_blocks`` or ``msg_too_long``; the stand-in
does the same, so a test learns of a block the bot made too big instead of Slack's users.
"""

from __future__ import annotations

from typing import Any

MESSAGE_BLOCKS = 50
MESSAGE_TEXT = 40_000
SECTION_TEXT = 3_000
SECTION_FIELDS = 10
FIELD_TEXT = 2_000
HEADER_TEXT = 150
CONTEXT_ELEMENTS = 10
ACTIONS_ELEMENTS = 25


def problem(blocks: list[Any] | None, text: Any) -> tuple[str, str] | None:
    """(error, why) for the first limit the message breaks; None when it keeps to all."""
    if isinstance(text, str) and len(text) > MESSAGE_TEXT:
        return "msg_too_long", f"text is {len(text)} characters, over {MESSAGE_TEXT}"
    if blocks is None:
        return None
    if len(blocks) > MESSAGE_BLOCKS:
        return "invalid_blocks", f"{len(blocks)} blocks, over {MESSAGE_BLOCKS}"
    for index, block in enumerate(blocks):
        why = _block_problem(block) if isinstance(block, dict) else "not an object"
        if why:
            return "invalid_blocks", f"block {index}: {why}"
    return None


def _text(value: Any) -> str:
    return str(value.get("text", "")) if isinstance(value, dict) else ""


def _block_problem(block: dict[str, Any]) -> str | None:
    kind = block.get("type")
    if kind == "header" and len(_text(block.get("text"))) > HEADER_TEXT:
        return f"header text over {HEADER_TEXT} characters"
    if kind == "section":
        if len(_text(block.get("text"))) > SECTION_TEXT:
            return f"section text over {SECTION_TEXT} characters"
        fields = block.get("fields") or []
        if len(fields) > SECTION_FIELDS:
            return f"more than {SECTION_FIELDS} fields"
        if any(len(_text(field)) > FIELD_TEXT for field in fields):
            return f"a field over {FIELD_TEXT} characters"
    if kind == "context":
        elements = block.get("elements") or []
        if len(elements) > CONTEXT_ELEMENTS:
            return f"more than {CONTEXT_ELEMENTS} context elements"
        if any(len(_text(element)) > SECTION_TEXT for element in elements):
            return f"a context element over {SECTION_TEXT} characters"
    if kind == "actions" and len(block.get("elements") or []) > ACTIONS_ELEMENTS:
        return f"more than {ACTIONS_ELEMENTS} elements"
    return None
