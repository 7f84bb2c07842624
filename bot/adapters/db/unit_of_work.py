"""The storage port's unit of work on SQLAlchemy: one session, every store, commit or nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import cached_property
from types import TracebackType

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from bot.adapters.db import engine, event_lines
from bot.adapters.db.alerts import Alerts
from bot.adapters.db.deadlines import Deadlines
from bot.adapters.db.deliveries import Deliveries
from bot.adapters.db.deploys import Deploys
from bot.adapters.db.facts import Facts
from bot.adapters.db.incidents import Incidents
from bot.adapters.db.insights import Timelines
from bot.adapters.db.note_marks import NoteMarks
from bot.adapters.db.postmortems import Postmortems
from bot.adapters.db.status_pages import StatusPages
from bot.adapters.db.status_updates import PostedUpdates
from bot.adapters.db.tickets import Tickets
from bot.adapters.db.timers import Timers
from bot.services.ports import COMMITS, StorageUnavailable


class SqlUnitOfWork:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions
        self._session: Session | None = None

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("a unit of work is used inside its `with` block only")
        return self._session

    def __enter__(self) -> SqlUnitOfWork:
        self._session = self._sessions()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        session, self._session = self.session, None
        if "incidents" in self.__dict__:  # what was appended and not committed is not told
            self.incidents.appended.clear()
        try:
            session.rollback()  # whatever was not committed
        finally:
            session.close()
        if isinstance(error, DBAPIError):
            raise StorageUnavailable(str(error).splitlines()[0]) from error

    def read_only(self) -> None:
        self.session.connection(execution_options={engine.READ_ONLY: True})

    def commit(self) -> None:
        try:
            self.session.commit()
        except DBAPIError as error:
            raise StorageUnavailable(str(error).splitlines()[0]) from error
        if "incidents" in self.__dict__:  # the store was used: its appended events are kept
            appended, self.incidents.appended = self.incidents.appended, []
            event_lines.told(appended)
        if (commits := COMMITS.get()) is not None:
            commits.append(datetime.now(UTC))

    @cached_property
    def incidents(self) -> Incidents:
        return Incidents(self.session)

    @cached_property
    def deadlines(self) -> Deadlines:
        return Deadlines(self.session)

    @cached_property
    def timers(self) -> Timers:
        return Timers(self.session)

    @cached_property
    def facts(self) -> Facts:
        return Facts(self.session)

    @cached_property
    def status_updates(self) -> PostedUpdates:
        return PostedUpdates(self.session)

    @cached_property
    def postmortems(self) -> Postmortems:
        return Postmortems(self.session)

    @cached_property
    def tickets(self) -> Tickets:
        return Tickets(self.session)

    @cached_property
    def alerts(self) -> Alerts:
        return Alerts(self.session)

    @cached_property
    def deploys(self) -> Deploys:
        return Deploys(self.session)

    @cached_property
    def deliveries(self) -> Deliveries:
        return Deliveries(self.session)

    @cached_property
    def note_marks(self) -> NoteMarks:
        return NoteMarks(self.session)

    @cached_property
    def status_pages(self) -> StatusPages:
        return StatusPages(self.session)

    @cached_property
    def records(self) -> Timelines:
        return Timelines(self.session)


def units_of_work(sessions: sessionmaker[Session]) -> Callable[[], SqlUnitOfWork]:
    """Starts units of work over ``sessions`` (each good for one ``with`` block)."""
    return lambda: SqlUnitOfWork(sessions)
