"""Webhook deliveries, durable and idempotent, in the Dagster instance's own database (its run
storage: sqlite under DAGSTER_HOME locally, PostgreSQL in production), so nothing new has to run.

One row per `X-GitHub-Delivery` (a unique key: a delivery sent twice, or redelivered by GitHub with
the same id, is stored once). Rows are read back in the order they arrived, by their row number,
which the mention sensor keeps as its cursor.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from .events import DeliveryRecord

METADATA = sa.MetaData()
DELIVERIES = sa.Table(
    "techlead_webhook_deliveries",
    METADATA,
    sa.Column("row_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("delivery_id", sa.String(80), nullable=False, unique=True),
    sa.Column("event", sa.String(80), nullable=False),
    sa.Column("received_at", sa.Float, nullable=False),
    sa.Column("record", sa.Text, nullable=False),
)


@dataclass(frozen=True)
class StoredDelivery:
    row_id: int
    delivery_id: str
    event: str
    received_at: float
    record: DeliveryRecord


class DeliveryStore:
    def __init__(self, instance):
        self.storage = instance.run_storage
        self._ready = False

    def _connect(self):
        if not self._ready:
            with self.storage.connect() as conn:
                METADATA.create_all(conn, checkfirst=True)
            self._ready = True
        return self.storage.connect()

    def add(self, delivery_id: str, event: str, record: DeliveryRecord) -> bool:
        """Stores a delivery; False when one with this id is already there."""
        try:
            with self._connect() as conn:
                conn.execute(
                    DELIVERIES.insert().values(
                        delivery_id=delivery_id,
                        event=event,
                        received_at=time.time(),
                        record=json.dumps(record.as_dict()),
                    )
                )
            return True
        except IntegrityError:
            return False

    def has(self, delivery_id: str) -> bool:
        with self._connect() as conn:
            found = conn.execute(sa.select(DELIVERIES.c.row_id).where(DELIVERIES.c.delivery_id == delivery_id))
            return found.first() is not None

    def known(self, delivery_ids: list[str]) -> set[str]:
        if not delivery_ids:
            return set()
        with self._connect() as conn:
            rows = conn.execute(
                sa.select(DELIVERIES.c.delivery_id).where(DELIVERIES.c.delivery_id.in_(list(delivery_ids)))
            )
            return {r[0] for r in rows}

    def after(self, row_id: int, limit: int = 500) -> list[StoredDelivery]:
        with self._connect() as conn:
            rows = conn.execute(
                sa.select(DELIVERIES).where(DELIVERIES.c.row_id > row_id).order_by(DELIVERIES.c.row_id).limit(limit)
            ).fetchall()
        return [
            StoredDelivery(
                r.row_id, r.delivery_id, r.event, r.received_at, DeliveryRecord.from_dict(json.loads(r.record))
            )
            for r in rows
        ]

    def count(self) -> int:
        with self._connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(DELIVERIES)).scalar())
