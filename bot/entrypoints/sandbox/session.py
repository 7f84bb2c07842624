"""One sandbox session: the real bot, served over HTTP, against the local Slack stand-in.

Every step goes in the way Slack would send it (signed slash commands, button clicks and form
submissions over HTTP; deploys through the signed webhook), and what the bot sends back to the
stand-in is shown as text. Time is virtual: ``wait`` moves it and fires every timer that falls
due on the way, at its own moment, through the same ``TimerRunner.tick`` production runs.
"""

from __future__ import annotations

import functools
import itertools
import json
import re
import secrets
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.adapters import reports
from bot.adapters import rollback_hook as outbound
from bot.adapters.db import engine as engines
from bot.adapters.db import migrate
from bot.adapters.probes import ProbeResult
from bot.entrypoints import app
from bot.entrypoints.http import Server
from bot.entrypoints.sandbox import cast, forms, render, signing, steps, tracker_news
from bot.entrypoints.sandbox.clock import VirtualClock
from bot.entrypoints.sandbox.github_api import GitHubApiStub
from bot.entrypoints.sandbox.jira_api import JiraApiStub
from bot.entrypoints.sandbox.screen import INDENT, PAGERDUTY_KEY, WEBHOOK_KEY, Screen, has_button
from bot.entrypoints.sandbox.slack_api import Directory, Identity, SlackApiStub
from bot.entrypoints.sandbox.statuspage_api import StatuspageStub
from bot.entrypoints.settings import Settings
from bot.services.insights import Insights

Json = dict[str, Any]
CLOCK_KEY = "sandbox.clock"


@dataclass(frozen=True)
class Options:
    playbooks_dir: Path
    templates_dir: Path
    tz: ZoneInfo
    start: datetime
    database_url: str | None = None  # None: a temporary SQLite file, gone afterwards


@dataclass
class Outcome:
    lines: list[str] = field(default_factory=list)
    bad_input: bool = False
    failed_expectation: bool = False
    quit: bool = False


@dataclass
class OpenForm:
    view: Json
    fields: list[forms.Field]
    user: str
    channel: str
    values: dict[str, Json] = field(default_factory=dict)
    asking: list[int] = field(default_factory=list)  # indexes of the fields still to answer

    @property
    def current(self) -> forms.Field:
        return self.fields[self.asking[0]]


@functools.cache
def _migrated_sqlite() -> bytes:
    """A new SQLite database at the newest revision, made once per process: a sandbox without
    a database of its own starts from a copy, since migrating takes longer than the rest of its
    start-up (the bot's own upgrade then finds nothing to do)."""
    with tempfile.TemporaryDirectory(prefix="incident-bot-sandbox-") as scratch:
        path = Path(scratch) / "migrated.sqlite3"
        engine = engines.connect(f"sqlite:///{path}")
        try:
            migrate.upgrade(engine)
        finally:
            engine.dispose()  # the last connection out folds the WAL into the file
        return path.read_bytes()


JIRA_EMAIL = "bot@example.com"
JIRA_TOKEN = "jira-sandbox-token"


class Sandbox:
    def __init__(self, options: Options) -> None:
        self.options = options
        self.tz: tzinfo = options.tz
        self.clock = VirtualClock(options.start)
        self.secret = secrets.token_hex(16)
        self.session_tag = secrets.token_hex(4)
        self._triggers = itertools.count(1)
        self.webhook_secret = secrets.token_hex(16)
        self.tracker_secret = secrets.token_hex(16)
        self.github = GitHubApiStub(clock=self.clock)
        self.github_mark = 0
        self.jira = JiraApiStub(JIRA_EMAIL, JIRA_TOKEN, clock=self.clock)
        self.jira_mark = 0
        # A workspace of its own each session: forms' request keys name the team and the view.
        self.stub = SlackApiStub(identity=Identity(team_id=f"T0{self.session_tag.upper()}"))
        self.status_page = StatuspageStub()  # the page customers read, its components the catalog's
        self.health: dict[str, bool] = {}
        self.actor = cast.user_id(cast.RESPONDERS[0])
        self.channel = cast.GENERAL[0]
        self.form: OpenForm | None = None
        self.last_output: list[str] = []
        self.journal_mark = 0
        self.requests = 0
        self.started = False
        self._scratch = tempfile.TemporaryDirectory(prefix="incident-bot-sandbox-")
        self.screen = Screen(
            self.stub,
            options.tz,
            self.clock,
            self._scratch.name,
            on_channel_created=self._follow,
            on_form=self._open_form,
        )
        self.runtime: app.Runtime | None = None
        self.server: Server | None = None
        self.day_shown: str | None = None

    # --- lifecycle ------------------------------------------------------------------------------

    def __enter__(self) -> Sandbox:
        self.stub.start()
        self.github.start()
        self.jira.start()
        self.status_page.start()
        scratch = Path(self._scratch.name)
        if self.options.database_url is None:
            (scratch / "sandbox.sqlite3").write_bytes(_migrated_sqlite())
        settings = Settings.model_validate(
            {
                "database_url": self.options.database_url
                or f"sqlite:///{scratch / 'sandbox.sqlite3'}",
                "playbooks_dir": self.options.playbooks_dir,
                "templates_dir": self.options.templates_dir,
                "postmortem_dir": scratch / "postmortems",
                "slack_bot_token": self.stub.token,
                "slack_signing_secret": self.secret,
                "slack_api_url": self.stub.base_url,
                "deploy_webhook_secret": self.webhook_secret,
                "incident_announce_channel": cast.ANNOUNCE[0],
                "incident_triage_channel": cast.TRIAGE[0],
                "pagerduty_events_url": self.stub.response_url(PAGERDUTY_KEY),
                "statuspage_api_url": self.status_page.base_url,
                "statuspage_page_id": self.status_page.page.id,
                "statuspage_api_key": self.status_page.api_key,
                "slack_workers": 1,
                "github_api_url": self.github.url,
                "github_token": self.github.token,
                "jira_base_url": self.jira.url,
                "jira_email": JIRA_EMAIL,
                "jira_api_token": JIRA_TOKEN,
                "tracker_webhook_secret": self.tracker_secret,
            }
        )
        wiring = app.Wiring(
            follow_up_threads=1,
            timer_parallelism=1,
            room_calls_at_once=False,
            slack_paced=False,  # the stand-in never limits; waits would only slow the drills
            prober=self._probe,
            rollback_webhook=self._rollback_webhook,
        )
        try:
            self.runtime = app.build(settings, self.clock, wiring)
            cast.populate(self.stub, self.runtime.playbooks, str(self.tz))
            for service in self.runtime.playbooks.catalog.services:
                where = service.follow_ups_destination()
                if where is not None and where.tracker == "github":
                    self.github.add_repo(where.place)
                if where is not None and where.tracker == "jira":
                    self.jira.add_project(where.place)
            for name, components in self.runtime.playbooks.catalog.on_page(
                s.name for s in self.runtime.playbooks.catalog.services
            ):
                for component in components:
                    self.status_page.add_component(component, name)
            self._resume()
            self.server = Server(self.runtime, "127.0.0.1", 0, threads=2).start()
        except BaseException:
            self.close()
            raise
        self.journal_mark = len(self.stub.journal())
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self.server is not None:
            self.server.stop()
        if self.runtime is not None:
            self.runtime.close()
        self.stub.stop()
        self.github.stop()
        self.jira.stop()
        self.status_page.stop()
        self._scratch.cleanup()

    def _resume(self) -> None:
        """A kept database: its incidents' channels and cards exist again, and time goes on."""
        assert self.runtime is not None
        incidents = self.runtime.service
        latest, stopped, rooms, announced = (
            incidents.latest_event_at(),
            incidents.fact(CLOCK_KEY),
            incidents.rooms(),
            incidents.announcements(),
        )
        everyone = list(self.stub.directory().users)
        for channel_id, name, card_ts in rooms:
            if channel_id:
                self.stub.add_channel(channel_id, name or channel_id.lower(), members=everyone)
            if channel_id and card_ts:
                self.stub.add_message(channel_id, card_ts, "(the card, from an earlier session)")
        for ts in announced:
            self.stub.add_message(
                cast.ANNOUNCE[0], ts, "(an announcement, from an earlier session)"
            )
        if stopped is not None:
            self.clock.restart_at(datetime.fromisoformat(stopped))
        elif latest is not None and latest > self.clock():
            self.clock.restart_at(latest)
        self.started = stopped is not None or latest is not None

    def _remember_time(self) -> None:
        """Where the clock is, so a session on a kept database goes on from there."""
        assert self.runtime is not None
        self.runtime.service.put_fact(CLOCK_KEY, self.clock().isoformat())

    # --- the prompt -----------------------------------------------------------------------------

    @property
    def prompt(self) -> str:
        if self.form is not None:
            return f"{INDENT}{self.form.current.prompt()} > "
        names = self.screen.names()
        return (
            f"[{self._clock_text(self.clock())}] @{names.user(self.actor)} "
            f"in #{names.channel(self.channel)} > "
        )

    def opening(self) -> list[str]:
        """What a session shows before the first step."""
        return ["Type `help` for what you can do here."]

    # --- steps ----------------------------------------------------------------------------------

    def feed(self, line: str) -> Outcome:
        if self.form is not None and not line.strip().startswith("# "):
            return self._answer(line)
        try:
            step = steps.parse(line, self.tz)
        except steps.BadInput as bad:
            return Outcome([f"{INDENT}! {bad}"], bad_input=True)
        if step is None or self.form is not None:
            return Outcome()
        if isinstance(step, steps.Expect):
            return self._expect(step)
        try:
            outcome = self._run(step)
        except steps.BadInput as bad:
            return Outcome([f"{INDENT}! {bad}"], bad_input=True)
        except OverflowError:
            return Outcome([f"{INDENT}! that is too far in time for the sandbox"], bad_input=True)
        if self.day_shown is None:
            outcome.lines[:0] = self._day_line(self.clock())
        self.last_output = outcome.lines
        self._remember_time()
        return outcome

    def _run(self, step: steps.Step) -> Outcome:
        if isinstance(step, steps.Slash):
            return self._slash(step.text)
        if isinstance(step, steps.Press):
            return self._press(step.number)
        if isinstance(step, steps.Wait):
            return self._advance_to(self.clock() + step.delta)
        if isinstance(step, steps.WaitUntil):
            return self._advance_to(self._moment(step))
        if isinstance(step, steps.ActAs):
            return self._act_as(step.name)
        if isinstance(step, steps.GoTo):
            self.channel = self._channel_id(step.channel)
            return Outcome()
        if isinstance(step, steps.StartAt):
            return self._start_at(step.moment)
        if isinstance(step, steps.Deploy):
            return self._deploy(step)
        if isinstance(step, steps.SetDependency):
            return self._set_dependency(step)
        if isinstance(step, steps.CloseIssue):
            return self._close_issue(step)
        if isinstance(step, steps.ResolveJiraIssue):
            return self._resolve_jira_issue(step)
        if isinstance(step, steps.Show):
            return self._show(self._channel_id(step.channel))
        if isinstance(step, steps.Report):
            return self._report(step.since)
        if isinstance(step, steps.Simple):
            if step.name == "help":
                return Outcome([INDENT + line for line in steps.HELP.splitlines()])
            if step.name == "who":
                return self._who()
            return Outcome(quit=True)
        raise AssertionError(step)

    def _slash(self, text: str) -> Outcome:
        names = self.screen.names()
        key = self._reply_key()
        body = signing.slash_command_body(
            text=_escaped_mentions(text, names.directory),
            user_id=self.actor,
            user_name=names.user(self.actor),
            channel_id=self.channel,
            channel_name=names.channel(self.channel),
            team_id=self.stub.identity.team_id,
            trigger_id=self._trigger_id(),
            response_url=self.stub.response_url(key),
        )
        return self._send(body, self.channel)

    def _press(self, number: int) -> Outcome:
        target = self.screen.targets.get(number)
        if target is None:
            shown = f"1 to {self.screen.next_button - 1}" if self.screen.targets else "none yet"
            raise steps.BadInput(f"there is no button [{number}]; buttons shown so far: {shown}")
        if target.reader is not None and target.reader != self.actor:
            reader = self.screen.names().user(target.reader)
            raise steps.BadInput(f"only @{reader} sees button [{number}]; type `as @{reader}`")
        button = target.button
        message = self.screen.current_message(target.channel, target.ts)
        if target.ts is not None and not has_button(message, button):
            raise steps.BadInput(
                f"button [{number}] is no longer on its message, which changed since; "
                "press one of the buttons shown with it last"
            )
        key = self._reply_key()
        container: Json = {"type": "message", "channel_id": target.channel}
        container |= {"message_ts": target.ts} if target.ts else {"is_ephemeral": True}
        payload = {
            "type": "block_actions",
            "user": {"id": self.actor, "name": self.screen.names().user(self.actor)},
            "api_app_id": signing.APP_ID,
            "team": {"id": self.stub.identity.team_id},
            "channel": {"id": target.channel},
            "container": container,
            "message": message,
            "trigger_id": self._trigger_id(),
            "response_url": self.stub.response_url(
                key, (target.channel, target.ts) if target.ts else None
            ),
            "actions": [
                {
                    "type": "button",
                    "action_id": button.action_id,
                    "block_id": button.block_id,
                    "value": button.value,
                    "text": {"type": "plain_text", "text": button.label},
                    "action_ts": f"{time.time():.6f}",
                }
            ],
        }
        return self._send(signing.interactivity_body(payload), target.channel)

    def _send(self, body: bytes, channel: str) -> Outcome:
        """POST a signed request to the bot, then show all it did until it went quiet."""
        refused, answer = self._post(body)
        return Outcome(refused + self._acknowledgement(answer, channel) + self._settle())

    def _post(self, body: bytes) -> tuple[list[str], bytes]:
        """A signed request to the bot, as Slack sends it; what to say if it was refused."""
        assert self.server is not None
        self.started = True
        status, _, answer = signing.post(
            f"{self.server.url}/slack/events", body, signing.FORM, self.secret
        )
        return ([] if status == 200 else [f"{INDENT}! the bot answered HTTP {status}"]), answer

    def _acknowledgement(self, answer: bytes, channel: str) -> list[str]:
        if not answer.strip():
            return []
        try:
            message = json.loads(answer)
        except ValueError:
            return [f"{INDENT}{answer.decode(errors='replace')}"]
        if not isinstance(message, dict) or not (message.get("text") or message.get("blocks")):
            return []
        return self.screen.message(message, channel, reader=self.actor)

    # --- forms ------------------------------------------------------------------------------------

    def _open_form(self, view: Json) -> list[str]:
        fields = forms.fields(view)
        missing = forms.unsupported(view)
        lines = [f"{INDENT}┌ form: {forms.title(view)}"]
        if missing:
            lines.append(f"{INDENT}! the sandbox cannot fill {', '.join(missing)} fields yet")
            return lines
        shown = [b for b in view.get("blocks") or [] if b.get("type") != "input"]
        lines += self.screen.rendered(render.message(shown, None, *self.screen.context(), 1).lines)
        lines.append(f"{INDENT}│ answer each field in turn; `cancel` closes the form")
        self.form = OpenForm(
            view, fields, self.actor, self.channel, asking=list(range(len(fields)))
        )
        return lines

    def _answer(self, line: str) -> Outcome:
        form = self.form
        assert form is not None
        if line.strip().lower() == "cancel":
            return self.cancel_form()
        field_ = form.current
        if line.strip().startswith("/"):
            return Outcome(
                [f"{INDENT}! a form is open: answer “{field_.label}” first, or type `cancel`"],
                bad_input=True,
            )
        try:
            form.values[field_.block_id] = {field_.action_id: field_.answer(line, self.tz)}
        except forms.BadAnswer as bad:
            return Outcome([f"{INDENT}! {bad}"], bad_input=True)
        form.asking.pop(0)
        if form.asking:
            return Outcome()
        outcome = self._submit(form)
        self.last_output = outcome.lines
        return outcome

    def cancel_form(self) -> Outcome:
        self.form = None
        return Outcome([f"{INDENT}└ form closed, nothing sent"])

    def _submit(self, form: OpenForm) -> Outcome:
        view = {**form.view, "state": {"values": form.values}}
        payload = {
            "type": "view_submission",
            "team": {"id": self.stub.identity.team_id},
            "user": {"id": form.user, "name": self.screen.names().user(form.user)},
            "api_app_id": signing.APP_ID,
            "trigger_id": self._trigger_id(),
            "view": view,
        }
        refused, answer = self._post(signing.interactivity_body(payload))
        errors = _form_errors(answer)
        if errors:
            form.asking = [i for i, f in enumerate(form.fields) if f.block_id in errors]
            labels = {f.block_id: f.label for f in form.fields}
            lines = [f"{INDENT}! {labels.get(b, b)}: {e}" for b, e in errors.items()]
            return Outcome([*lines, f"{INDENT}│ answer those again"], bad_input=True)
        self.form = None
        return Outcome([*refused, f"{INDENT}└ form sent", *self._settle()])

    # --- time -------------------------------------------------------------------------------------

    def _moment(self, step: steps.WaitUntil) -> datetime:
        local = self.clock().astimezone(self.tz)
        moment = steps.local_moment(step.day or local.date(), step.clock_time, self.tz)
        if step.day is None and moment <= self.clock():
            tomorrow = local.date() + timedelta(days=1)
            moment = steps.local_moment(tomorrow, step.clock_time, self.tz)
        if moment < self.clock():
            when = moment.astimezone(self.tz)
            raise steps.BadInput(
                f"{when:%Y-%m-%d} {self._clock_text(moment)} has passed; time only moves forward"
            )
        return moment

    def _advance_to(self, target: datetime) -> Outcome:
        """Fire every timer due on the way, each at its own time, then stop at ``target``."""
        assert self.runtime is not None
        runner = self.runtime.runner
        lines: list[str] = []
        self.started = True
        while (due := runner.next_fire_at()) is not None and due <= target:
            moment = max(due, self.clock())
            self.clock.move_to(moment)
            fired = runner.tick(moment)
            said = self._settle()
            if said:
                lines += [*self._day_line(moment), f"── {self._clock_text(moment)} ──", *said]
            if not fired:  # a due timer another tick holds: let its lease run out
                self.clock.move_to(min(target, moment + timedelta(seconds=1)))
        self.clock.move_to(target)
        runner.tick(target)
        said = self._settle()
        if said:
            lines += [f"── {self._clock_text(target)} ──", *said]
        lines += self._day_line(target)
        lines.append(f"{INDENT}(it is now {self._clock_text(target)})")
        return Outcome(lines)

    def _start_at(self, moment: datetime) -> Outcome:
        if self.started:
            raise steps.BadInput(
                "`at` sets the start, before anything has happened; use `wait` from here"
            )
        self.clock.restart_at(moment)
        return Outcome(self._day_line(moment))

    # --- the rest of the steps ------------------------------------------------------------------

    def _act_as(self, name: str) -> Outcome:
        user_id = next(
            (u for u, n in self.screen.names().directory.users.items() if n == name), None
        )
        if user_id is None or user_id == self.stub.identity.bot_user_id:
            people = ", ".join(f"@{n}" for n in self._people())
            raise steps.BadInput(f"nobody here is called @{name}; the people are {people}")
        self.actor = user_id
        return Outcome()

    def _deploy(self, step: steps.Deploy) -> Outcome:
        assert self.server is not None and self.runtime is not None
        if self.runtime.playbooks.catalog.service(step.service) is None:
            known = ", ".join(s.name for s in self.runtime.playbooks.catalog.services)
            raise steps.BadInput(f"`{step.service}` is not in the catalog; the services: {known}")
        self.started = True
        payload = {
            "service": step.service,
            "version": step.version,
            "environment": "production",
            "deployer": self.screen.names().user(self.actor),
            "finished_at": self.clock().isoformat(),
        }
        ok, answer = outbound.post_signed(
            f"{self.server.url}/webhooks/deploy", payload, self.webhook_secret
        )
        head = f"{INDENT}deploy webhook: {step.service} {step.version} finished ({answer})"
        return Outcome([head if ok else f"{INDENT}! {head}", *self._settle()])

    def _close_issue(self, step: steps.CloseIssue) -> Outcome:
        """Someone closes the issue on GitHub; GitHub tells the bot through its webhook."""
        assert self.server is not None
        issues = self.github.repos.get(step.repo)
        if not issues or step.number not in issues:
            filed = [f"{r}#{n}" for r, found in self.github.repos.items() for n in found]
            raise steps.BadInput(
                f"there is no issue {step.repo}#{step.number}; filed so far: "
                f"{', '.join(filed) or 'none'}"
            )
        hook = f"{self.server.url}/webhooks/github"
        status = self.github.close_issue(step.repo, step.number, hook, self.tracker_secret)
        self.github_mark = len(self.github.calls)
        head = (
            f"{INDENT}github · {step.repo}#{step.number} closed on github.com (webhook: {status})"
        )
        return Outcome([head if status < 300 else f"{INDENT}! {head}", *self._settle()])

    def _resolve_jira_issue(self, step: steps.ResolveJiraIssue) -> Outcome:
        """Someone resolves the issue in Jira; Jira tells the bot through its webhook."""
        assert self.server is not None
        if step.key not in self.jira.issues:
            filed = ", ".join(self.jira.issues) or "none"
            raise steps.BadInput(f"there is no issue {step.key}; filed so far: {filed}")
        hook = f"{self.server.url}/webhooks/jira"
        status = self.jira.resolve_issue(step.key, hook, self.tracker_secret)
        self.jira_mark = len(self.jira.calls)
        head = f"{INDENT}jira · {step.key} resolved in Jira (webhook: {status})"
        return Outcome([head if status < 300 else f"{INDENT}! {head}", *self._settle()])

    def _set_dependency(self, step: steps.SetDependency) -> Outcome:
        assert self.runtime is not None
        known = [d for s in self.runtime.playbooks.catalog.services for d in s.dependencies]
        if step.target not in known:
            listed = ", ".join(dict.fromkeys(known)) or "none"
            raise steps.BadInput(f"`{step.target}` is not a catalog dependency; they are {listed}")
        self.health[step.target] = step.healthy
        state = "passes" if step.healthy else "fails"
        return Outcome([f"{INDENT}{step.target} now {state} its health checks"])

    def _probe(self, targets: Any, _timeout: float) -> list[ProbeResult]:
        """Dependency checks in a drill: what the drill said, every other target healthy."""
        results = []
        for target in targets:
            kind = "http" if target.startswith(("http://", "https://")) else "tcp"
            if self.health.get(target, True):
                status = 200 if kind == "http" else None
                results.append(ProbeResult(target, kind, True, 3.0, status, "ok"))
            else:
                results.append(ProbeResult(target, kind, False, None, None, "connection refused"))
        return results

    def _rollback_webhook(self, url: str, payload: Json, secret: str) -> tuple[bool, str]:
        """A catalog's rollback webhook is never called from a drill: the stand-in takes it."""
        stand_in = self.stub.response_url(WEBHOOK_KEY)
        return outbound.post_signed(stand_in, {"url": url, "payload": payload}, secret)

    def _show(self, channel: str) -> Outcome:
        messages = self.stub.messages(channel)[-10:]
        lines = [
            f"{INDENT}#{self.screen.names().channel(channel)}: the last {len(messages)} messages"
        ]
        for message in messages:
            lines += self.screen.message(message, channel, ts=str(message["ts"]))
        return Outcome(lines)

    def _report(self, since: timedelta) -> Outcome:
        """The insights report (``incident-bot report``'s text) of the incidents declared in
        the ``since`` before the sandbox's clock."""
        assert self.runtime is not None
        incidents = self.runtime.service
        found = Insights(incidents.units, incidents.policies, incidents.clock).report(since)
        return Outcome([f"{INDENT}{line}".rstrip() for line in reports.text(found).splitlines()])

    def _who(self) -> Outcome:
        directory = self.screen.names().directory
        groups = [
            f"@{handle}: " + ", ".join(f"@{directory.users[u]}" for u in members)
            for handle, members in self._group_members().items()
        ]
        channels = ", ".join(f"#{n}" for c, n in directory.channels.items() if c[0] in "CG")
        return Outcome(
            [
                f"{INDENT}people: " + ", ".join(f"@{n}" for n in self._people()),
                *(f"{INDENT}{line}" for line in groups),
                f"{INDENT}channels: {channels}",
            ]
        )

    def _expect(self, step: steps.Expect) -> Outcome:
        said = "\n".join(self.last_output).lower()
        holds = (step.text.lower() in said) != step.absent
        wanted = f"{'no ' if step.absent else ''}{step.text!r}"
        if holds:
            return Outcome([f"{INDENT}✓ expect {wanted}"])
        return Outcome(
            [f"{INDENT}✗ expect {wanted}: the step before said otherwise"],
            failed_expectation=True,
        )

    # --- what the bot did ---------------------------------------------------------------------

    def _settle(self) -> list[str]:
        """Wait until the bot's work is done, then show everything it sent since last time."""
        assert self.runtime is not None
        if not self.runtime.work.wait_idle():
            return [f"{INDENT}! the bot is still busy after 30 s; its output may come later"]
        entries = self.stub.journal(self.journal_mark)
        self.journal_mark += len(entries)
        return [*self.screen.show(entries), *self._tracker_news()]

    def _tracker_news(self) -> list[str]:
        """What the bot did in GitHub and Jira since last time, one line per issue opened,
        closed, updated or commented on, saying what changed."""
        calls = self.github.calls[self.github_mark :]
        self.github_mark += len(calls)
        lines = [f"{INDENT}github · {line}" for line in map(tracker_news.github, calls) if line]
        jira = self.jira.calls[self.jira_mark :]
        self.jira_mark += len(jira)
        said = (tracker_news.jira(call, self.jira) for call in jira)
        lines += [f"{INDENT}jira · {line}" for line in said if line]
        return lines

    # --- helpers ----------------------------------------------------------------------------------

    def _follow(self, channel: str) -> None:
        """A declaration's new channel is where its declarer goes next, as in Slack."""
        self.channel = channel

    def _trigger_id(self) -> str:
        # Declarations are idempotent per trigger id: a kept database must never see one again.
        return f"{next(self._triggers)}.{self.session_tag}.sandbox"

    def _reply_key(self) -> str:
        self.requests += 1
        key = f"r{self.requests}"
        self.screen.replies[key] = (self.actor, self.channel)
        return key

    def _people(self) -> list[str]:
        bot = self.stub.identity.bot_user_id
        return [n for u, n in self.screen.names().directory.users.items() if u != bot]

    def _group_members(self) -> dict[str, list[str]]:
        assert self.runtime is not None
        return {
            group.handle: [cast.user_id(name) for name in group.members]
            for group in cast.groups(self.runtime.playbooks)
        }

    def _channel_id(self, name: str) -> str:
        directory = self.screen.names().directory
        found = [c for c, n in directory.channels.items() if n == name or c == name]
        if not found:
            found = [c for c, n in directory.channels.items() if n.startswith(name)]
        if len(found) > 1:
            matches = ", ".join(f"#{directory.channels[c]}" for c in found)
            raise steps.BadInput(f"#{name} could be any of {matches}: type more of the name")
        if not found:
            listed = ", ".join(f"#{n}" for c, n in directory.channels.items() if c[0] in "CG")
            raise steps.BadInput(f"there is no #{name}; the channels are {listed}")
        return found[0]

    def _clock_text(self, moment: datetime) -> str:
        local = moment.astimezone(self.tz)
        return f"{local:%H:%M} {local.tzname()}"

    def _day_line(self, moment: datetime) -> list[str]:
        day = f"{moment.astimezone(self.tz):%A %d %B %Y}"
        if day == self.day_shown:
            return []
        self.day_shown = day
        return [f"══ {day} ══"]


_MENTION = re.compile(r"(?<![<\w])([@#])([\w.-]*\w)")


def _escaped_mentions(text: str, directory: Directory) -> str:
    """What was typed as Slack sends it with the command's should_escape: ``&``, ``<`` and
    ``>`` escaped, @people, @groups and #channels as mentions."""
    users = {name: user_id for user_id, name in directory.users.items()}
    groups = {handle: group_id for group_id, handle in directory.groups.items()}
    channels = {name: channel_id for channel_id, name in directory.channels.items()}

    def mention(match: re.Match[str]) -> str:
        sign, name = match.group(1), match.group(2)
        if sign == "#" and name in channels:
            return f"<#{channels[name]}|{name}>"
        if sign == "@" and name in users:
            return f"<@{users[name]}|{name}>"
        if sign == "@" and name in groups:
            return f"<!subteam^{groups[name]}|@{name}>"
        return match.group(0)

    typed = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")  # as Slack does
    return _MENTION.sub(mention, typed)


def _form_errors(answer: bytes) -> dict[str, str]:
    try:
        reply = json.loads(answer) if answer.strip() else {}
    except ValueError:
        return {}
    if isinstance(reply, dict) and reply.get("response_action") == "errors":
        return {str(k): str(v) for k, v in (reply.get("errors") or {}).items()}
    return {}
