"""Slack's requests at the door: verified, parsed and checked before Bolt sees them.

Bolt's own body parsing guesses the kind from the text: any form body that merely *contains*
the word ``payload`` (``/incident sev1 payload service down``, a channel named ``payload-team``)
is taken for an interactivity payload and becomes ``{}``, which no listener matches; a body
that is not JSON, or a non-numeric signature timestamp, raises inside Bolt and answers 500 with
a traceback. Here the content type decides how a body is read, the signature is checked with a
timestamp that must be a number, and the parsed body must have its kind's shape
(``bot.adapters.slack.shapes``). Bolt then gets the body already parsed and verified (its
``socket_mode`` requests are exactly that), so it neither parses nor verifies it again.

Socket Mode requests come through ``dispatch``: the same checks, but the signature.

Answers: 401 for a bad signature or a replay (the same signed request again), 400 for a
malformed body, each with one log line; the rest is Bolt's answer. Each answer names the
request's kind (command, action, view, event or unknown) for the metrics, read from the one
parse of the body; None when the body was refused before it was read.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from slack_bolt import App, BoltRequest

from bot.adapters.slack import shapes
from bot.adapters.slack.replays import ReplayGuard
from bot.core import bidi

log = logging.getLogger(__name__)
JSON = "application/json"
MAX_AGE_SECONDS = 5 * 60  # Slack's own rule: older signatures may be replays
INTERACTIVE_KINDS = {
    "block_actions": "action",
    "view_submission": "view",
    "view_closed": "view",
    "shortcut": "action",
}
"""An interactivity payload's ``type``, by the kind the metrics count it as (else unknown)."""


@dataclass(frozen=True)
class Answer:
    """An HTTP answer: status, headers (a name may repeat) and body; ``kind`` the request's
    (command, action, view, event or unknown), None when it was refused before it was read."""

    status: int
    body: str
    headers: Mapping[str, Sequence[str]]
    kind: str | None = None


def _refusal(status: int, error: str, detail: str) -> Answer:
    log.warning("refused a Slack request: %s", detail, extra={"status": status})
    return Answer(status, json.dumps({"error": error}), {"content-type": [JSON]})


def signed(body: bytes, headers: Mapping[str, str], secret: str, now: float) -> str | None:
    """Why the request's signature does not hold (None: it does). ``headers`` lower-cased."""
    timestamp = headers.get("x-slack-request-timestamp", "")
    signature = headers.get("x-slack-signature", "")
    if not (timestamp.isascii() and timestamp.isdigit()):
        return "the signature timestamp is not a number"
    if abs(now - int(timestamp)) > MAX_AGE_SECONDS:
        return "the signature timestamp is too old or in the future"
    base = b"v0:" + timestamp.encode("ascii") + b":" + body  # the bytes, whatever they hold
    expected = "v0=" + hmac.new(secret.encode("utf-8"), base, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode("ascii"), signature.encode("utf-8", "replace")):
        return "the signature does not match"
    return None


def parsed(body: bytes, content_type: str) -> Any:
    """The body as Slack meant it: JSON for events, a form for commands, the form's
    ``payload`` field (JSON) for interactivity (NUL characters still in it: ``dispatch`` takes them
    out). Raises ValueError when it is none of these (RecursionError for JSON nested
    deeper than Python reads)."""
    return read(body, content_type)[0]


def read(body: bytes, content_type: str) -> tuple[Any, str]:
    """``parsed``, and the request's kind: event (JSON), command (a form naming one), the
    payload's kind (``INTERACTIVE_KINDS``), else unknown. Raises as ``parsed`` does."""
    text = body.decode("utf-8")  # UnicodeDecodeError is a ValueError
    if content_type == JSON:
        return json.loads(text), "event"
    form = dict(parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text)))
    if "command" in form:
        return form, "command"
    if "payload" in form:
        payload = json.loads(form["payload"])
        kind = payload.get("type") if isinstance(payload, dict) else None
        return payload, INTERACTIVE_KINDS.get(str(kind), "unknown")
    return form, "unknown"


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _without_nul(value: Any) -> Any:
    """``value`` with every NUL character taken out of its strings and every lone surrogate
    (half an emoji, which JSON may carry as ``\\ud83d``) made U+FFFD: no text people type
    holds one, and neither the record nor Slack can keep them (UnicodeEncodeError). A
    right-to-left override left open is closed (``bidi``): what follows it keeps its order."""
    if isinstance(value, str):
        if value.isascii() and "\x00" not in value:  # most of them: nothing to take out
            return value
        return bidi.closed(_LONE_SURROGATE.sub("\ufffd", value.replace("\x00", "")))
    if isinstance(value, dict):
        return {_without_nul(k): _without_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_nul(item) for item in value]
    return value


def dispatch(
    bolt: App,
    fields: Any,
    headers: Mapping[str, str],
    first: Callable[[], bool] = lambda: True,
    kind: str | None = None,
) -> Answer:
    """A request already verified and parsed (over HTTP by ``SlackDoor``; over Socket Mode,
    Slack's own connection vouches for it): NUL taken out, refused unless it has its kind's
    shape, refused as a replay unless ``first()`` (asked last, so that only what Bolt would
    see is remembered), else Bolt's answer. ``headers`` lower-cased; ``kind`` is given to
    every answer but a refusal of a malformed body."""
    try:
        fields = _without_nul(fields)
    except RecursionError:
        return _refusal(400, "malformed request", "a body nested too deep")
    wrong = shapes.problem(fields)
    if wrong:
        return _refusal(400, "malformed request", wrong)
    if fields.get("type") == "app_rate_limited":  # Slack tells; nothing to do but listen
        log.warning("Slack is rate-limiting the events it sends us")
        return Answer(200, "", {}, kind)
    if not first():
        log.warning("refused a replayed Slack request")
        text = {"content-type": ["text/plain;charset=utf-8"]}
        return Answer(401, "replayed request", text, kind)
    request = BoltRequest(body=fields, headers=dict(headers), mode="socket_mode")
    response = bolt.dispatch(request)
    return Answer(response.status, response.body, response.headers, kind)


class SlackDoor:
    """Answers Slack's POSTs: refuses what is unsigned, malformed or replayed (``replays``:
    the signatures this door accepted), hands the rest to Bolt."""

    def __init__(
        self,
        bolt: App,
        secret: str,
        now: Callable[[], float] = time.time,
        replays: ReplayGuard | None = None,
    ) -> None:
        self.bolt = bolt
        self.secret = secret
        self.now = now
        self.replays = replays or ReplayGuard()

    def answer(self, body: bytes, headers: Mapping[str, str], content_type: str) -> Answer:
        """``headers`` as received (any case); ``content_type`` without its parameters."""
        lowered = {name.lower(): value for name, value in headers.items()}
        unsigned = signed(body, lowered, self.secret, self.now())
        if unsigned:
            return _refusal(401, "invalid request", unsigned)
        try:
            fields, kind = read(body, content_type)
        except (ValueError, RecursionError) as error:  # RecursionError: JSON nested too deep
            return _refusal(400, "malformed request", f"unreadable body ({error})")
        signature = lowered["x-slack-signature"]  # there: it was checked
        return dispatch(self.bolt, fields, lowered, lambda: self.replays.first(signature), kind)
