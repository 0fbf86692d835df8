"""Dagster instance storage chosen by the environment, so one dagster.yaml serves everywhere:
sqlite under DAGSTER_HOME by default (local use, tests, the demo); PostgreSQL through
dagster-postgres when DAGSTER_PG_HOST is set (production, where the password comes from a
Kubernetes Secret as DAGSTER_PG_PASSWORD)."""

from __future__ import annotations

import os
from typing import Mapping
from urllib.parse import quote

from dagster import Field, StringSource
from dagster._core.storage.base_storage import DagsterStorage

# SQLAlchemy 2.1 maps a bare `postgresql://` to psycopg 3; dagster-postgres installs psycopg2.
SCHEME = "postgresql+psycopg2"


def storage_choice(env: Mapping[str, str]) -> tuple[str, str]:
    """("postgres", url) or ("sqlite", base dir) for an environment. The URL holds the password:
    it is built here and never logged."""
    host = env.get("DAGSTER_PG_HOST")
    if host:
        # Own encoding rather than dagster_postgres.utils.get_conn_string, whose quote() leaves "/"
        # in a password unescaped, which breaks the URL.
        user = quote(env.get("DAGSTER_PG_USERNAME", "dagster"), safe="")
        password = quote(env.get("DAGSTER_PG_PASSWORD", ""), safe="")
        userinfo = f"{user}:{password}" if password else user
        port = env.get("DAGSTER_PG_PORT", "5432")
        db = quote(env.get("DAGSTER_PG_DB", "dagster"), safe="")
        params = f"?sslmode={quote(env['DAGSTER_PG_SSLMODE'], safe='')}" if env.get("DAGSTER_PG_SSLMODE") else ""
        return "postgres", f"{SCHEME}://{userinfo}@{host}:{port}/{db}{params}"
    if not env.get("DAGSTER_HOME"):
        raise ValueError("DAGSTER_HOME is not set: the sqlite instance storage lives there")
    return "sqlite", env["DAGSTER_HOME"]


class EnvSelectedStorage(DagsterStorage):
    """A factory Dagster rehydrates from dagster.yaml: `from_config_value` returns the real storage
    (this class itself is never instantiated)."""

    @classmethod
    def config_type(cls):
        return {"base_dir": Field(StringSource, is_required=False)}

    @classmethod
    def from_config_value(cls, inst_data, config_value):
        kind, where = storage_choice(os.environ)
        if kind == "postgres":
            from dagster_postgres import DagsterPostgresStorage

            return DagsterPostgresStorage(postgres_url=where)
        from dagster._core.storage.sqlite_storage import DagsterSqliteStorage

        return DagsterSqliteStorage.from_local(config_value.get("base_dir") or where)
