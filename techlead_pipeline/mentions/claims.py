"""Who answers a mention: a durable claim per (mention, kind) in the Dagster instance's database.

Two sensor evaluations can overlap (the daemon starts the next tick while one that timed out is
still running), and both would find no reply marker on the pull request and post. A claim is a
unique row taken before posting: the second evaluation cannot take it, so it does not post. A
claim whose owner died before finishing (the row is old and not done) may be taken over, and the
new owner still checks GitHub for a reply before posting.
"""

from __future__ import annotations

import time

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

METADATA = sa.MetaData()
CLAIMS = sa.Table(
    "techlead_reply_claims",
    METADATA,
    sa.Column("claim", sa.String(120), primary_key=True),
    sa.Column("claimed_at", sa.Float, nullable=False),
    sa.Column("done", sa.Boolean, nullable=False, default=False),
)
NEW, TAKEN_OVER = "new", "taken over"
STALE_AFTER_S = 300.0  # far longer than posting one reply takes, paced writes included


class ReplyClaims:
    def __init__(self, instance, stale_after_s: float = STALE_AFTER_S):
        self.storage = instance.run_storage
        self.stale_after_s = stale_after_s
        self._ready = False

    def _connect(self):
        if not self._ready:
            try:
                with self.storage.connect() as conn:
                    METADATA.create_all(conn, checkfirst=True)
            except sa.exc.DatabaseError:  # made by a racing caller between its check and ours
                with self.storage.connect() as conn:
                    if not sa.inspect(conn).has_table(CLAIMS.name):
                        raise
            self._ready = True
        return self.storage.connect()

    @staticmethod
    def key(mention_id: str, kind: str) -> str:
        return f"{mention_id}:{kind}"

    def claim(self, mention_id: str, kind: str) -> str | None:
        """ "new" or "taken over" when this caller now owns the answer; None when another caller is
        posting it or did. A taken-over claim's first owner may have posted before dying: look."""
        key, now = self.key(mention_id, kind), time.time()
        try:
            with self._connect() as conn:
                conn.execute(CLAIMS.insert().values(claim=key, claimed_at=now, done=False))
            return NEW
        except IntegrityError:
            pass
        with self._connect() as conn:
            taken = conn.execute(
                CLAIMS.update()
                .where(CLAIMS.c.claim == key, CLAIMS.c.done.is_(False), CLAIMS.c.claimed_at < now - self.stale_after_s)
                .values(claimed_at=now)
            )
            return TAKEN_OVER if taken.rowcount == 1 else None

    def finish(self, mention_id: str, kind: str) -> None:
        with self._connect() as conn:
            conn.execute(CLAIMS.update().where(CLAIMS.c.claim == self.key(mention_id, kind)).values(done=True))

    def release(self, mention_id: str, kind: str) -> None:
        """Gives an unfinished claim back (posting failed and will be tried again)."""
        with self._connect() as conn:
            conn.execute(CLAIMS.delete().where(CLAIMS.c.claim == self.key(mention_id, kind), CLAIMS.c.done.is_(False)))
