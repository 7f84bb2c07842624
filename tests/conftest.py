"""Shared fixtures: the database the storage tests run on (SQLite, or TEST_DATABASE_URL)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from bot.adapters.db import engine as engines
from bot.adapters.db import migrate
from bot.adapters.db.tables import Base
from bot.entrypoints import settings as config


def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    requested = os.environ.get("TEST_DATABASE_URL")
    if requested:
        return config.Settings(database_url=requested).database_url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


def pytest_report_header(config: pytest.Config) -> str:
    requested = os.environ.get("TEST_DATABASE_URL")
    return f"storage tests run on: {'PostgreSQL ' + requested if requested else 'SQLite'}"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "engine" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.db)


@pytest.fixture(scope="session")
def migrated_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    engine = engines.connect(database_url(tmp_path_factory))
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def engine(migrated_engine: Engine) -> Engine:
    """The migrated test database, emptied before each test."""
    names = ", ".join(table.name for table in Base.metadata.sorted_tables)
    with migrated_engine.begin() as connection:
        if connection.dialect.name == "postgresql":  # ids start at 1 again, as on SQLite
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(Base.metadata.sorted_tables):
                connection.execute(text(f"DELETE FROM {table.name}"))
    return migrated_engine


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return engines.sessions(engine)


@pytest.fixture
def repo_root() -> Path:
    return Path(__file__).resolve().parents[1]
