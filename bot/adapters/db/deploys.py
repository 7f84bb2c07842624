"""Deploys reported by webhooks, pipelines and people: what the rollback rule looks at."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.adapters.db.tables import DeployRow
from bot.core.rollback import Deploy


def _to_domain(row: DeployRow) -> Deploy:
    return Deploy(
        service=row.service,
        version=row.version,
        finished_at=row.finished_at,
        deployer=row.deployer,
        commit=row.commit,
        environment=row.environment,
        url=row.url,
    )


class Deploys:
    def __init__(self, session: Session) -> None:
        self.session = session

    def record(
        self, deploy: Deploy, *, source: str, recorded_at: datetime, delivery_key: str | None = None
    ) -> bool:
        """Store ``deploy``; False when a delivery with the same key was stored already."""
        if delivery_key is not None and self.session.scalar(
            select(DeployRow.id).where(DeployRow.delivery_key == delivery_key)
        ):
            return False
        row = DeployRow(
            service=deploy.service,
            version=deploy.version,
            environment=deploy.environment,
            deployer=deploy.deployer,
            commit=deploy.commit,
            url=deploy.url,
            finished_at=deploy.finished_at,
            recorded_at=recorded_at,
            source=source,
            delivery_key=delivery_key,
        )
        try:
            with self.session.begin_nested():
                self.session.add(row)
        except IntegrityError:  # the same delivery, stored concurrently by another replica
            return False
        return True

    def between(self, services: Collection[str], since: datetime, until: datetime) -> list[Deploy]:
        """Deploys of ``services`` that finished in [since, until], newest first."""
        rows = self.session.scalars(
            select(DeployRow)
            .where(
                DeployRow.service.in_(list(services)),
                DeployRow.finished_at >= since,
                DeployRow.finished_at <= until,
            )
            .order_by(DeployRow.finished_at.desc(), DeployRow.id.desc())
        )
        return [_to_domain(row) for row in rows]

    def recent(
        self, now: datetime, within: timedelta, service: str | None = None, limit: int = 20
    ) -> list[Deploy]:
        query = select(DeployRow).where(DeployRow.finished_at >= now - within)
        if service is not None:
            query = query.where(DeployRow.service == service)
        rows = self.session.scalars(
            query.order_by(DeployRow.finished_at.desc(), DeployRow.id.desc()).limit(limit)
        )
        return [_to_domain(row) for row in rows]
