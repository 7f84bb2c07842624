"""SQLite's write transactions queue in the process, and every way a transaction ends lets
the next one in."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError

from bot.adapters.db import engine as engines


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    made = engines.connect(f"sqlite:///{tmp_path}/writers.sqlite3")
    with made.begin() as connection:
        connection.execute(text("CREATE TABLE notes (text VARCHAR NOT NULL)"))
    return made


def writers(engine: Engine) -> engines.Writers:
    return engines.WRITERS[engine]


def test_a_write_holds_the_queue_until_it_commits(engine: Engine) -> None:
    with engine.connect() as connection:
        connection.execute(text("INSERT INTO notes VALUES ('a')"))
        assert writers(engine).held
        connection.commit()
        assert not writers(engine).held


def test_a_write_rolled_back_or_failed_or_returned_unfinished_lets_the_next_in(
    engine: Engine,
) -> None:
    with engine.connect() as connection:
        connection.execute(text("INSERT INTO notes VALUES ('a')"))
        connection.rollback()
    assert not writers(engine).held
    with pytest.raises(OperationalError), engine.begin() as connection:
        connection.execute(text("INSERT INTO nowhere VALUES ('a')"))
    assert not writers(engine).held
    with engine.connect() as connection:  # closed without a word: the pool's reset ends it
        connection.execute(text("INSERT INTO notes VALUES ('b')"))
    assert not writers(engine).held
    connection = engine.connect()
    connection.execute(text("INSERT INTO notes VALUES ('c')"))
    connection.invalidate()  # the driver's connection closed
    assert not writers(engine).held


def test_a_read_does_not_queue(engine: Engine) -> None:
    with engine.connect() as writing:
        writing.execute(text("INSERT INTO notes VALUES ('a')"))
        reading = engine.connect().execution_options(**{engines.READ_ONLY: True})
        assert reading.execute(text("SELECT count(*) FROM notes")).scalar() == 0
        reading.close()
        writing.commit()


def test_the_next_writer_goes_in_when_the_last_commits(engine: Engine) -> None:
    order: list[str] = []
    first_in = threading.Event()

    def second() -> None:
        first_in.wait(5)
        with engine.begin() as connection:
            order.append("second began")
            connection.execute(text("INSERT INTO notes VALUES ('second')"))

    thread = threading.Thread(target=second)
    with engine.connect() as connection:
        connection.execute(text("INSERT INTO notes VALUES ('first')"))
        thread.start()
        first_in.set()
        thread.join(0.2)  # it waits in the queue, however long the first takes
        order.append("first committing")
        connection.commit()
    thread.join(5)
    assert order == ["first committing", "second began"]
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM notes")).scalar() == 2
