"""Messages rendered from Jinja2 templates in TEMPLATES_DIR, for Slack mrkdwn.

Every value a template prints is escaped for mrkdwn (``&``, ``<``, ``>``) unless it is Markup,
which only the filters below produce (mentions, channel links, dates): so no title, note or
status update can smuggle ``<!channel>`` or ``<@U…>`` into a message.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from jinja2 import BytecodeCache, Environment, FileSystemLoader, StrictUndefined, TemplateError
from jinja2.bccache import Bucket
from markupsafe import Markup

from bot.adapters.slack import mrkdwn
from bot.core import durations


def _escape(value: Any) -> Any:
    if value is None or isinstance(value, Markup):
        return value if value is not None else ""
    return mrkdwn.escape(str(value))


# The mrkdwn module builds these tokens from validated ids only, so they are safe to mark.
def _as_words(value: Any) -> Any:
    return value


DOCUMENTS = frozenset({"postmortem.md.j2"})  # rendered as words, not mrkdwn


def _user(user_id: str | None) -> Markup:
    return Markup(mrkdwn.user(user_id)) if user_id else Markup("")  # noqa: S704


def _group(group_id: str | None) -> Markup:
    return Markup(mrkdwn.user_group(group_id)) if group_id else Markup("")  # noqa: S704


def _channel(channel_id: str | None) -> Markup:
    return Markup(mrkdwn.channel(channel_id)) if channel_id else Markup("")  # noqa: S704


def _link(url: str, label: str) -> Markup:
    return Markup(mrkdwn.link(url, label))  # noqa: S704 - mrkdwn.link escapes the label


def _date(moment: datetime, style: str = "{date_short_pretty} {time}") -> Markup:
    return Markup(mrkdwn.date(moment, style))  # noqa: S704


def _duration(delta: timedelta, up: bool = True) -> str:
    """``delta`` in words, rounded up (``durations.humanize``); ``up``, which templates
    written before every duration was rounded up may still pass, changes nothing."""
    del up
    return durations.humanize(delta)


def _exactly(delta: timedelta) -> str:
    return durations.say(delta)


class _Compiled(BytecodeCache):
    """Templates compiled once per process: a bot built again (tests, sandbox sessions) reuses
    them. Jinja keys each by its file and drops it when the file's source has changed."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def load_bytecode(self, bucket: Bucket) -> None:
        with self._lock:
            code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        code = bucket.bytecode_to_string()
        with self._lock:
            self._code[bucket.key] = code


_COMPILED = _Compiled()


class TemplateProblem(Exception):
    """A template that does not load or render; the message names the file and the line."""


class Templates:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.environment = self._environment(_escape)
        # Documents (the post-mortem draft, a file) are not mrkdwn: their values are words.
        self.documents = self._environment(_as_words)

    def _environment(self, finalize: Callable[[Any], Any]) -> Environment:
        environment = Environment(
            loader=FileSystemLoader(self.directory),
            undefined=StrictUndefined,
            finalize=finalize,
            autoescape=False,  # noqa: S701 - HTML escaping is wrong for mrkdwn; finalize escapes
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
            bytecode_cache=_COMPILED,
        )
        environment.filters.update(
            user=_user,
            group=_group,
            channel=_channel,
            date=_date,
            duration=_duration,
            exactly=_exactly,
            link=_link,
        )
        return environment

    def names(self) -> list[str]:
        """The templates in the folder itself (``"announcement.md.j2"``), sorted: a name in a
        sub-folder or beginning with a dot is skipped, so a Kubernetes-mounted ConfigMap (its
        files links into a hidden ``..2026_12_01_10_00_00.1/`` through ``..data``) reads as the
        folder it mounts."""
        return sorted(
            name
            for name in self.environment.list_templates()
            if name.endswith(".j2") and "/" not in name and not name.startswith(".")
        )

    def check(self) -> None:
        """Compile every template now, so a broken one stops start-up instead of a firing."""
        if not self.directory.is_dir():
            raise TemplateProblem(f"{self.directory}: is not a directory (set TEMPLATES_DIR)")
        for name in self.names():
            try:
                self.environment.get_template(name)
            except TemplateError as error:
                line = getattr(error, "lineno", None)
                raise TemplateProblem(f"{self.directory / name}:{line}: {error}") from error

    def check_samples(self, samples: Mapping[str, Callable[[], dict[str, Any]]]) -> list[str]:
        """Render every template that has sample data; the problems, each with file and line."""
        problems = []
        for name in self.names():
            sample = samples.get(name)
            if sample is None:
                problems.append(f"{self.directory / name}: no sample data to check it with")
                continue
            try:
                self.render(name, compact=name != "postmortem.md.j2", **sample())
            except TemplateProblem as problem:
                problems.append(str(problem))
        missing = sorted(set(samples) - set(self.names()))
        problems += [f"{self.directory / name}: missing (the bot renders it)" for name in missing]
        return problems

    def render(self, name: str, *, compact: bool = True, **context: Any) -> str:
        """Render ``name`` (mrkdwn, or words for one of ``DOCUMENTS``); ``compact`` drops the
        lines a false condition left empty."""
        environment = self.documents if name in DOCUMENTS else self.environment
        try:
            text = environment.get_template(name).render(**context)
            if compact:
                text = "\n".join(line for line in text.splitlines() if line.strip())
            return text.strip()
        except TemplateError as error:
            line = getattr(error, "lineno", None)
            where = f"{self.directory / name}" + (f":{line}" if line else "")
            raise TemplateProblem(f"{where}: {error}") from error
