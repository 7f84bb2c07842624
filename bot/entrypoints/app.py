"""The composition root: builds every part of the bot from settings, and nothing else does."""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

from slack_bolt import App
from slack_sdk import WebClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.adapters import probes, template_samples
from bot.adapters import rollback_hook as outbound
from bot.adapters.db import engine as engines
from bot.adapters.db import schema
from bot.adapters.db.rate_buckets import SharedBuckets
from bot.adapters.db.unit_of_work import units_of_work
from bot.adapters.pagerduty import PagerDuty
from bot.adapters.slack import gateway as slack
from bot.adapters.slack import mrkdwn, retries
from bot.adapters.slack.budget import Budget
from bot.adapters.slack.digest import SlackDigestWording
from bot.adapters.slack.handlers import Handlers, UseCases
from bot.adapters.slack.identity import BotIdentity
from bot.adapters.slack.listeners import Listeners
from bot.adapters.slack.priority import BacklogFirst
from bot.adapters.slack.rollback import SlackRollbackWording
from bot.adapters.slack.status_page import SlackStatusPageWording
from bot.adapters.slack.tickets import SlackTriageTickets
from bot.adapters.slack.wording.deadlines import SlackDeadlineWording
from bot.adapters.slack.wording.declaring import SlackDeclaringWording
from bot.adapters.slack.wording.postmortems import SlackPostmortemWording
from bot.adapters.slack.wording.rooms import SlackRoomWording
from bot.adapters.slack.wording.signals import SlackSignalWording
from bot.adapters.statuspage import Statuspage
from bot.adapters.templates import TemplateProblem, Templates
from bot.adapters.trackers.github import GitHubIssues
from bot.adapters.trackers.jira import JiraIssues
from bot.core.model import Severity
from bot.entrypoints.checkpoints import Checkpoints
from bot.entrypoints.health import Health
from bot.entrypoints.metrics import Metrics, Saturation
from bot.entrypoints.pools import TrackedPool, WorkTracker, at_once, drain
from bot.entrypoints.settings import ConfigurationError, Settings, require
from bot.entrypoints.ticker import Ticker
from bot.entrypoints.webhooks.alert_intake import AlertIntake
from bot.entrypoints.webhooks.intake import DeployIntake
from bot.entrypoints.webhooks.trackers import TrackerIntake
from bot.playbooks import loader
from bot.playbooks.loader import Playbooks
from bot.services.access import Access
from bot.services.alerts import AlertRecords
from bot.services.announcer import DeadlineAnnouncer
from bot.services.channel_notes import ChannelNotes
from bot.services.clock import Clock, SteadyClock
from bot.services.declaring import Declaring
from bot.services.deliveries import Deliveries
from bot.services.deploys import DeployService
from bot.services.digest import Digests
from bot.services.follow_ups import FollowUps
from bot.services.incidents import IncidentService
from bot.services.insights import Insights
from bot.services.postmortems import Postmortems
from bot.services.probing import Prober
from bot.services.response import IncidentResponse
from bot.services.rollback import RollbackAdvisor
from bot.services.rooms import Rooms, one_by_one
from bot.services.signals import Signals
from bot.services.status_page import StatusPages
from bot.services.timers import Fired, TimerRunner
from bot.services.tracker_tickets import TrackerTickets
from bot.services.trackers import Tracker

log = logging.getLogger(__name__)
LAST_CHECKPOINT_SECONDS = 5.0
"""How long stopping waits for the last audit checkpoint when the drain has used its bound."""


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    playbooks: Playbooks
    service: IncidentService
    handlers: Handlers
    bolt: App
    workers: ThreadPoolExecutor
    runner: TimerRunner
    ticker: Ticker
    identity: BotIdentity
    metrics: Metrics
    health: Health
    deploys: DeployService
    advisor: RollbackAdvisor
    deploy_intake: DeployIntake
    alert_intake: AlertIntake
    followups: ThreadPoolExecutor
    work: WorkTracker  # everything handed to the two pools above
    room_calls: ThreadPoolExecutor  # a new room's Slack calls made at once, for the pools above
    tracker_intake: TrackerIntake
    checkpoints: Checkpoints | None = None  # with AUDIT_KEY: signed, written outside the DB
    digests: Digests | None = None  # with DIGEST_CHANNEL: the weekly digest
    rate_buckets: SharedBuckets | None = None  # on PostgreSQL: the Slack budget's, shared

    def secrets(self) -> list[str]:
        """Every secret the running bot holds (settings and catalog), for the log redactor."""
        return [*self.settings.secret_values(), *self.playbooks.catalog.secret_values()]

    def start_timers(self) -> int:
        """Bring every active incident's timers up to date, then start firing them."""
        self.service.resync_services()
        reconciled = self.service.reconcile()
        if self.digests is not None:
            self.digests.arm()  # the next one; every replica arms the same timer
        self.ticker.start()
        if self.checkpoints is not None:
            self.checkpoints.start()
        return reconciled

    def close(self) -> dict[str, int]:
        """Stop the timers, let the work already acknowledged finish for at most
        SHUTDOWN_DRAIN_SECONDS, write the last checkpoint, let go of the database. What was
        left unfinished, by pool, and ``timer tick`` when firings are still running (logged;
        empty: nothing; anything: the caller exits without waiting for their threads)."""
        until = time.monotonic() + self.settings.shutdown_drain_seconds
        if self.ticker.running:
            self.ticker.stop(timeout=self.settings.shutdown_drain_seconds)
        pools = [p for p in (self.workers, self.followups) if isinstance(p, TrackedPool)]
        left = drain(self.work, pools, max(until - time.monotonic(), 0.0))
        for other in {self.workers, self.followups} - set(pools):  # none, as built here
            other.shutdown(wait=False, cancel_futures=True)
        self.room_calls.shutdown(wait=False)  # after the drain: the work drained used it
        if self.ticker.running:  # its firings' threads would hold the exit as much as a pool's
            left = {**left, "timer tick": 1}
        if left:
            log.warning(
                "stopping with work unfinished",
                extra={"left": left, "timer_tick_running": self.ticker.running},
            )
        if self.checkpoints is not None:
            # After the drain (it covers what the drained work wrote), within the drain's
            # bound, with a few seconds of its own even when the drain used it all.
            self.checkpoints.stop(timeout=max(until - time.monotonic(), LAST_CHECKPOINT_SECONDS))
        if self.rate_buckets is not None:
            self.rate_buckets.close()
        self.engine.dispose()
        return left


@dataclass(frozen=True)
class Wiring:
    """The parts the sandbox (and a test) swaps to make a run deterministic; production uses
    these."""

    follow_up_threads: int = 2
    timer_parallelism: int = 8
    room_calls_at_once: bool = True  # False: a new room's Slack calls one by one, in order
    prober: Prober = probes.probe_all
    rollback_webhook: outbound.Poster = outbound.post_signed
    slack_sleep: retries.Sleep = time.sleep  # how the Slack client waits out a 429 or a backoff
    slack_paced: bool = True  # False: Web API calls made at once (a stand-in that never limits)


def build(settings: Settings, clock: Clock | None = None, wiring: Wiring = Wiring()) -> Runtime:
    """Everything the server needs, on ``clock`` (default: the wall clock, never going back);
    raises InvalidPlaybooks or ConfigurationError first."""
    clock = clock or SteadyClock()
    require(settings, "slack_bot_token", "slack_signing_secret")
    assert settings.slack_bot_token is not None and settings.slack_signing_secret is not None
    _appendable(settings)
    playbooks = loader.load(settings.playbooks_dir)
    templates = Templates(settings.templates_dir)
    templates.check()
    broken = [
        p
        for p in templates.check_samples(template_samples.SAMPLES)
        if not p.endswith("no sample data to check it with")
    ]
    if broken:
        raise TemplateProblem("; ".join(broken))
    engine = engines.connect(settings.database_url)
    # SchemaAhead when a newer bot migrated it past this code
    schema.prepare(engine, settings.audit_key_bytes())
    sessions = engines.sessions(engine, settings.audit_key_bytes())
    units = units_of_work(sessions)
    insights = Insights(units, playbooks.policies, clock)
    metrics = Metrics()
    service = IncidentService(
        units,
        playbooks.policies,
        clock,
        on_settled=lambda d: metrics.deadlines.labels(str(d.kind), str(d.status)).inc(),
        with_channels=[severity for severity in Severity if playbooks[severity].channel],
    )
    count = lambda method, result: metrics.slack_calls.labels(method, result).inc()  # noqa: E731
    web = slack.client(
        settings.slack_bot_token.get_secret_value(),
        settings.slack_api_url,
        count=count,
        sleep=wiring.slack_sleep,
    )
    shared = wiring.slack_paced and engine.dialect.name == "postgresql"
    buckets = SharedBuckets(engine) if shared else None
    gateway = slack.SlackGateway(
        web, count, _budget(settings, buckets) if wiring.slack_paced else None
    )
    chat = slack.SlackChat(gateway)
    access = Access(chat, settings.incident_declarers_group, settings.incident_admin_group)
    poll = timedelta(seconds=settings.tracker_poll_seconds)
    follow_ups = FollowUps(
        service,
        access,
        playbooks,
        _trackers(settings, playbooks),
        poll,
        person=chat.display_name,
        words=lambda typed: mrkdwn.plain(typed, chat.name),
    )
    work = WorkTracker()
    # Each room makes up to 3 calls at once, from a lazy worker or a follow-up thread.
    room_calls = work.pool(2 * (settings.slack_workers + wiring.follow_up_threads), "room")
    rooms = Rooms(
        chat,
        service,
        playbooks,
        TrackerTickets(follow_ups, SlackTriageTickets(chat, settings.incident_triage_channel)),
        SlackRoomWording(templates),
        settings.incident_announce_channel,
        at_once(room_calls) if wiring.room_calls_at_once else one_by_one,
    )
    deploys = DeployService(units, clock)
    alert_records = AlertRecords(units, clock)
    webhook_secret = settings.deploy_webhook_secret
    advisor = RollbackAdvisor(
        service,
        deploys,
        chat,
        SlackRollbackWording(playbooks),
        playbooks,
        webhook_secret.get_secret_value() if webhook_secret else None,
        wiring.rollback_webhook,
    )
    signals = Signals(
        service,
        deploys,
        alert_records,
        chat,
        SlackSignalWording(),
        playbooks,
        settings.incident_announce_channel,
        prober=wiring.prober,
    )
    postmortems = Postmortems(service, chat, SlackPostmortemWording(templates))
    status_pages = StatusPages(
        service,
        _status_page(settings),
        chat,
        SlackStatusPageWording(templates),
        playbooks,
        refresh=rooms.refresh_card,
    )
    declaring = Declaring(
        service,
        rooms,
        access,
        advisor,
        signals,
        playbooks,
        chat,
        SlackDeclaringWording(),
        status_pages,
    )
    response = IncidentResponse(service, rooms, access, advisor, postmortems, deploys, playbooks)
    handlers = Handlers(
        UseCases(
            service,
            declaring,
            response,
            rooms,
            advisor,
            signals,
            postmortems,
            deploys,
            chat,
            playbooks,
            templates,
            follow_ups,
            status_pages,
            insights,
        )
    )
    follow_ups.news = handlers.follow_ups
    identity = BotIdentity(web)
    identity.check()
    workers = work.pool(settings.slack_workers, "lazy")
    bolt = App(
        # Bolt hands listeners a client carrying the authorized token; ours carries its own.
        client=WebClient(base_url=settings.slack_api_url),
        authorize=lambda **_: identity.authorize(),
        signing_secret=settings.slack_signing_secret.get_secret_value(),
        process_before_response=True,
        logger=logging.getLogger("slack_bolt"),
    )
    followups = work.pool(wiring.follow_up_threads, "follow-up")
    backlog = BacklogFirst(workers.wait_empty)
    Listeners(
        handlers,
        gateway,
        ChannelNotes(service, chat),
        backlog.behind(followups.submit),
        clock,
        Deliveries(units, clock),
        failed=lambda kind, cause: metrics.work_failures.labels(kind, cause).inc(),
        soon=workers.submit,
    ).register(bolt)
    announcer = DeadlineAnnouncer(
        chat,
        SlackDeadlineWording(templates),
        playbooks,
        PagerDuty(settings.pagerduty_events_url),
        settings.incident_announce_channel,
        late_notice=timedelta(seconds=settings.timer_late_notice_seconds),
    )
    digests = (
        Digests(
            units,
            insights,
            chat,
            SlackDigestWording(),
            settings.digest_schedule(),
            settings.digest_channel,
            clock,
        )
        if settings.digest_channel
        else None
    )
    runner = TimerRunner(
        units,
        service,
        announcer,
        lease=timedelta(seconds=settings.timer_lease_seconds),
        parallel=wiring.timer_parallelism,
        setup=declaring.resume,
        tracker=follow_ups,
        tell=response.tell_again,
        page=status_pages.owed,
        digest=digests.send if digests else None,
        on_recorded=lambda incident_id: rooms.refresh_card(service.get(incident_id)),
    )
    ticker = Ticker(
        runner,
        clock,
        poll=timedelta(seconds=settings.timer_poll_seconds),
        on_fired=lambda fired: _observe_lateness(metrics, fired),
    )
    health = Health(engine, ticker, identity, clock)
    metrics.watch(
        Saturation(
            open_incidents=service.open_counts,
            timers_due=lambda: runner.due_count(clock()),
            db_connections_in_use=lambda: int(getattr(engine.pool, "checkedout", lambda: 0)()),
            work_queue=lambda: workers.pending,
            ready=lambda: all(check.ok for check in health.checks().values()),
        )
    )
    return Runtime(
        settings,
        engine,
        sessions,
        playbooks,
        service,
        handlers,
        bolt,
        workers,
        runner,
        ticker,
        identity,
        metrics,
        health,
        deploys,
        advisor,
        DeployIntake(
            deploys,
            advisor.webhook_secret,
            lambda deploy: workers.submit(advisor.deploy_reported, deploy),
        ),
        AlertIntake(
            alert_records.receive,
            alert_token.get_secret_value()
            if (alert_token := settings.alertmanager_webhook_token)
            else None,
            playbooks.catalog.alert_label,
            lambda alerts: workers.submit(signals.alerts_firing, alerts),
        ),
        followups,
        work,
        room_calls,
        TrackerIntake(
            follow_ups,
            secret.get_secret_value() if (secret := settings.tracker_webhook_secret) else None,
        ),
        _checkpoints(settings, sessions, clock),
        digests,
        rate_buckets=buckets,
    )


def _budget(settings: Settings, buckets: SharedBuckets | None) -> Budget:
    """The Web API calls' rate budget: in the database on PostgreSQL (``buckets``), where
    replicas share it (Slack's limits are per app); in this process on SQLite, which one
    replica uses."""
    return Budget(
        buckets, scale=settings.slack_rate_scale, max_wait=settings.slack_budget_wait_seconds
    )


def _status_page(settings: Settings) -> Statuspage | None:
    """The status page, when one is configured."""
    if settings.statuspage_page_id is None or settings.statuspage_api_key is None:
        return None
    key = settings.statuspage_api_key.get_secret_value()
    return Statuspage(settings.statuspage_page_id, key, settings.statuspage_api_url)


def _checkpoints(
    settings: Settings, sessions: sessionmaker[Session], clock: Clock
) -> Checkpoints | None:
    key = settings.audit_key_bytes()
    if key is None:
        return None
    every = settings.audit_checkpoint_seconds
    return Checkpoints(sessions, key, clock, every, settings.audit_checkpoint_file)


def _appendable(settings: Settings) -> None:
    """ConfigurationError unless AUDIT_CHECKPOINT_FILE (with AUDIT_KEY) can be appended to:
    found at start-up, not at the first checkpoint minutes later."""
    file = settings.audit_checkpoint_file
    if file is None or settings.audit_key is None:
        return
    try:
        file.open("a", encoding="utf-8").close()
    except OSError as error:
        raise ConfigurationError(
            f"AUDIT_CHECKPOINT_FILE {file} cannot be appended to ({error.strerror}): mount "
            "a writable volume at its folder (deploy/ mounts one at /audit), or unset it"
        ) from error


def _observe_lateness(metrics: Metrics, fired: list[Fired]) -> None:
    for firing in fired:
        if firing.outcome == "fired":
            metrics.timer_lateness.observe(firing.lateness.total_seconds())
        if firing.reach is not None:
            purpose = str(firing.timer.purpose)
            metrics.timer_notices.labels(purpose, str(firing.reach)).inc()


def _trackers(settings: Settings, playbooks: Playbooks) -> dict[str, Tracker]:
    """The trackers whose credentials the settings hold, by name; a warning for each tracker
    the catalog files follow-ups in without them (those follow-ups stay in the bot only)."""
    found: dict[str, Tracker] = {}
    if settings.github_token is not None:
        found["github"] = GitHubIssues(
            settings.github_token.get_secret_value(), settings.github_api_url
        )
    if settings.jira_base_url and settings.jira_email and settings.jira_api_token is not None:
        token = settings.jira_api_token.get_secret_value()
        lag = timedelta(seconds=settings.jira_search_lag_seconds)
        found["jira"] = JiraIssues(
            settings.jira_base_url, settings.jira_email, token, search_lag=lag
        )
    needs = {
        "github": "GITHUB_TOKEN",
        "jira": "JIRA_BASE_URL, JIRA_EMAIL and JIRA_API_TOKEN",
    }
    for service in playbooks.catalog.services:
        where = service.follow_ups_destination()
        if where is not None and where.tracker not in found:
            log.warning(
                "the catalog files %s's follow-ups in %s, but %s %s not set: they stay in the "
                "bot only",
                service.name,
                where.tracker,
                needs.get(where.tracker, "its settings"),
                "is" if where.tracker == "github" else "are",
            )
    return found
