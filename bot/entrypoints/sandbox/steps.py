"""What a sandbox user types, parsed into steps: pure, text in, a step or a BadInput out.

The same language is typed at the prompt and written in drill files, one step a line.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from bot.core import durations

HELP = """\
/incident <anything>      what you would type in Slack, e.g. /incident sev1 checkout 500s
as @name                  type as someone else (`who` lists the people)
in #channel               type in another channel (`who` lists the channels too)
press N                   press the button numbered [N]
wait 6m                   move time forward (s, m, h, d; e.g. wait 1h30m)
wait until 03:30          move time to a clock time (or `wait until 2026-03-14 03:30`)
deploy <service> <version>  a deploy of the service finishes now (like the deploy webhook)
dependency <target> down  make a catalog dependency fail its health check (`up` again)
close acme/checkout#1     someone closes a follow-up's issue on GitHub (its webhook tells the bot)
close PAY-1               someone resolves a follow-up's issue in Jira (its webhook tells the bot)
show #channel             the channel's last messages
report [90d]              the numbers of the incidents declared in the last 90 days (or 30d...)
who                       the people, user groups and channels
expect <text>             the last step's output contains <text> (`expect no <text>`)
at 2026-03-14 02:00       set the start time (only before anything has happened)
help                      this list
quit                      leave (also Ctrl-D)
In a form, answer each field in turn; `cancel` closes the form."""


class BadInput(ValueError):
    """A line the sandbox cannot act on; the message says what to type instead."""


@dataclass(frozen=True)
class Slash:
    text: str  # everything after `/incident`


@dataclass(frozen=True)
class ActAs:
    name: str


@dataclass(frozen=True)
class GoTo:
    channel: str


@dataclass(frozen=True)
class Press:
    number: int


@dataclass(frozen=True)
class Wait:
    delta: timedelta


@dataclass(frozen=True)
class WaitUntil:
    clock_time: time
    day: date | None


@dataclass(frozen=True)
class StartAt:
    moment: datetime


@dataclass(frozen=True)
class Deploy:
    service: str
    version: str


@dataclass(frozen=True)
class SetDependency:
    target: str
    healthy: bool


@dataclass(frozen=True)
class CloseIssue:
    repo: str
    number: int


@dataclass(frozen=True)
class ResolveJiraIssue:
    key: str


@dataclass(frozen=True)
class Show:
    channel: str


@dataclass(frozen=True)
class Report:
    since: timedelta


@dataclass(frozen=True)
class Expect:
    text: str
    absent: bool


@dataclass(frozen=True)
class Simple:
    name: str  # help, who or quit


Step = (
    Slash
    | ActAs
    | GoTo
    | Press
    | Wait
    | WaitUntil
    | StartAt
    | Deploy
    | SetDependency
    | CloseIssue
    | ResolveJiraIssue
    | Show
    | Report
    | Expect
    | Simple
)
LONGEST_WAIT = timedelta(days=366)
_CLOCK = re.compile(r"^(?:(\d{4}-\d{2}-\d{2})[ T])?(\d{1,2}):(\d{2})$")


def parse(line: str, tz: tzinfo) -> Step | None:
    """The step ``line`` asks for; None for a blank line or a `#` comment."""
    text = line.strip()
    if not text or text.startswith("# ") or text == "#":
        return None
    word, _, rest = text.partition(" ")
    rest = rest.strip()
    if word.startswith("/"):
        return _slash(word, rest)
    parser = _PARSERS.get(word.lower())
    if parser is None:
        raise BadInput(f"`{_cut(word)}` is not a sandbox step; type `help` for the list")
    return parser(rest, tz)


def _slash(word: str, rest: str) -> Slash:
    if word.lower() != "/incident":
        raise BadInput(f"the bot answers `/incident` only, not `{_cut(word)}`")
    return Slash(rest)


def _act_as(rest: str, _tz: tzinfo) -> ActAs:
    name = rest.removeprefix("@")
    if not re.fullmatch(r"[\w.-]+", name):
        raise BadInput("name one person: `as @bob` (`who` lists the people)")
    return ActAs(name)


def _go_to(rest: str, _tz: tzinfo) -> GoTo:
    name = rest.removeprefix("#")
    if not re.fullmatch(r"[\w-]+", name):
        raise BadInput("name one channel: `in #general` (`who` lists the channels)")
    return GoTo(name)


def _press(rest: str, _tz: tzinfo) -> Press:
    if not rest.isdigit() or int(rest) == 0:
        raise BadInput("press a button by its number: `press 2` presses the one shown as [2]")
    return Press(int(rest))


def _wait(rest: str, tz: tzinfo) -> Wait | WaitUntil:
    word, _, when = rest.partition(" ")
    if word.lower() == "until":
        return _wait_until(when.strip())
    if rest.startswith("-"):
        raise BadInput(
            "time only moves forward: type a positive duration, like `wait 5m` or `wait 1h30m`"
        )
    try:
        delta = durations.parse(rest)
    except (durations.DurationError, OverflowError):
        raise BadInput(
            f"`wait {_cut(rest)}` is not a duration: type `wait 5m`, `wait 1h30m` or "
            "`wait until 03:30`"
        ) from None
    if delta > LONGEST_WAIT:
        raise BadInput("wait at most a year at a time, like `wait 366d`")
    return Wait(delta)


def _wait_until(when: str) -> WaitUntil:
    match = _CLOCK.match(when)
    usage = "type `wait until 03:30` or `wait until 2026-03-14 03:30`"
    if match is None:
        raise BadInput(f"`{_cut(when)}` is not a time: {usage}")
    day_text, hour, minute = match.groups()
    try:
        clock_time = time(int(hour), int(minute))
        day = date.fromisoformat(day_text) if day_text else None
    except ValueError:
        raise BadInput(f"`{_cut(when)}` is not a time: {usage}") from None
    return WaitUntil(clock_time, day)


def _start_at(rest: str, tz: tzinfo) -> StartAt:
    match = _CLOCK.match(rest)
    if match is None or match.group(1) is None:
        raise BadInput("give a date and a time: `at 2026-03-14 02:00`")
    try:
        day, clock_time = date.fromisoformat(match.group(1)), time(int(match[2]), int(match[3]))
    except ValueError:
        raise BadInput(f"`{_cut(rest)}` is not a date and time: `at 2026-03-14 02:00`") from None
    return StartAt(local_moment(day, clock_time, tz))


def local_moment(day: date, clock_time: time, tz: tzinfo) -> datetime:
    """A wall-clock time in ``tz`` as UTC; BadInput for one the clocks skip or out of range."""
    wall = datetime.combine(day, clock_time)
    if not 2000 <= day.year <= 2999:
        raise BadInput("pick a date between the years 2000 and 2999")
    moment = wall.replace(tzinfo=tz).astimezone(UTC)
    if moment.astimezone(tz).replace(tzinfo=None) != wall:
        raise BadInput(f"{wall:%Y-%m-%d %H:%M} does not exist in {tz}: the clocks go forward then")
    return moment


def _deploy(rest: str, _tz: tzinfo) -> Deploy:
    words = rest.split()
    if len(words) != 2:
        raise BadInput("name the service and the version: `deploy checkout v42`")
    return Deploy(words[0].lower(), words[1])


def _dependency(rest: str, _tz: tzinfo) -> SetDependency:
    words = rest.split()
    if len(words) != 2 or words[1].lower() not in ("up", "down"):
        raise BadInput("name a catalog dependency and up or down: `dependency 127.0.0.1:6379 down`")
    return SetDependency(words[0], words[1].lower() == "up")


def _close(rest: str, _tz: tzinfo) -> CloseIssue | ResolveJiraIssue:
    match = re.fullmatch(r"([\w.-]+/[\w.-]+)#(\d{1,6})", rest.strip())
    if match is not None:
        return CloseIssue(match.group(1), int(match.group(2)))
    if re.fullmatch(r"[A-Z][A-Z0-9_]*-\d{1,6}", rest.strip()):
        return ResolveJiraIssue(rest.strip())
    raise BadInput("name the issue: `close acme/checkout#1` (GitHub) or `close PAY-1` (Jira)")


def _show(rest: str, _tz: tzinfo) -> Show:
    return Show(_go_to(rest, _tz).channel)


def _report(rest: str, _tz: tzinfo) -> Report:
    try:
        since = durations.parse(rest or "90d")
    except (durations.DurationError, OverflowError):
        raise BadInput(
            f"`report {_cut(rest)}`: type `report`, `report 30d` or `report 1d`"
        ) from None
    if since > LONGEST_WAIT * 10:
        raise BadInput("report on ten years at most, like `report 3650d`")
    return Report(since)


def _expect(rest: str, _tz: tzinfo) -> Expect:
    absent = rest.lower().startswith("no ")
    text = (rest[3:] if absent else rest).strip().strip("\"'")
    if not text:
        raise BadInput("say what the output must contain: `expect roll back` or `expect no error`")
    return Expect(text, absent)


def _simple(name: str) -> Callable[[str, tzinfo], Simple]:
    def parse_simple(rest: str, _tz: tzinfo) -> Simple:
        if rest:
            raise BadInput(f"`{name}` takes nothing after it")
        return Simple(name)

    return parse_simple


def _cut(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


_PARSERS: dict[str, Callable[[str, tzinfo], Step]] = {
    "as": _act_as,
    "in": _go_to,
    "press": _press,
    "wait": _wait,
    "at": _start_at,
    "deploy": _deploy,
    "dependency": _dependency,
    "close": _close,
    "show": _show,
    "report": _report,
    "expect": _expect,
    "help": _simple("help"),
    "who": _simple("who"),
    "quit": _simple("quit"),
    "exit": _simple("quit"),
}
