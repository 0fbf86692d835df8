"""One dagster.yaml: sqlite under DAGSTER_HOME locally, PostgreSQL from environment variables."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import dagster as dg
import pytest

from techlead_pipeline.defs.dev_server import free_port
from techlead_pipeline.defs.instance_storage import storage_choice

ROOT = Path(__file__).resolve().parents[2]


def test_local_instance_is_sqlite_under_dagster_home(tmp_path, monkeypatch):
    monkeypatch.delenv("DAGSTER_PG_HOST", raising=False)
    shutil.copy(ROOT / "dagster.yaml", tmp_path / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))

    @dg.asset
    def one() -> int:
        return 1

    with dg.DagsterInstance.get() as instance:
        assert type(instance.run_storage).__name__ == "SqliteRunStorage"
        assert dg.materialize([one], instance=instance).success
    assert (tmp_path / "history" / "runs.db").exists()


def test_production_urls_come_from_the_environment():
    env = {
        "DAGSTER_PG_HOST": "postgres.techlead.svc",
        "DAGSTER_PG_USERNAME": "dagster",
        "DAGSTER_PG_PASSWORD": "p@ss/word",
        "DAGSTER_PG_DB": "dagster",
        "DAGSTER_PG_PORT": "5433",
    }
    assert storage_choice(env) == (
        "postgres",
        "postgresql+psycopg2://dagster:p%40ss%2Fword@postgres.techlead.svc:5433/dagster",
    )
    assert storage_choice({"DAGSTER_HOME": "/x"}) == ("sqlite", "/x")
    with pytest.raises(ValueError, match="DAGSTER_HOME"):
        storage_choice({})


@pytest.fixture
def postgres_server():
    """A throwaway PostgreSQL cluster on a loopback port (Debian's postgresql; .ci/run installs it)."""
    bins = [os.environ.get("PATH", "")] + sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    initdb, pg_ctl = (
        shutil.which("initdb", path=os.pathsep.join(bins)),
        shutil.which("pg_ctl", path=os.pathsep.join(bins)),
    )
    if not (initdb and pg_ctl):
        pytest.skip("PostgreSQL server binaries are not installed (.ci/run installs Debian's postgresql)")
    as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []  # initdb refuses root
    folder = Path(tempfile.mkdtemp(prefix="techlead-pg-"))  # reachable by the postgres user
    if as_user:
        shutil.chown(folder, "postgres")
    port = free_port()
    subprocess.run(
        as_user + [initdb, "-D", str(folder / "data"), "-A", "trust", "-U", "dagster"], check=True, capture_output=True
    )
    subprocess.run(
        as_user
        + [
            pg_ctl,
            "-D",
            str(folder / "data"),
            "-l",
            str(folder / "log"),
            "-w",
            "start",
            "-o",
            f"-p {port} -k {folder} -c listen_addresses=127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    try:
        subprocess.run(
            [
                "psql",
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
                "-U",
                "dagster",
                "-d",
                "postgres",
                "-c",
                "create database dagster",
            ],
            check=True,
            capture_output=True,
        )
        yield port
    finally:
        subprocess.run(as_user + [pg_ctl, "-D", str(folder / "data"), "stop", "-m", "fast"], capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


def test_production_instance_runs_on_postgres(postgres_server, tmp_path, monkeypatch):
    shutil.copy(ROOT / "dagster.yaml", tmp_path / "dagster.yaml")
    for key, value in {
        "DAGSTER_HOME": str(tmp_path),
        "DAGSTER_PG_HOST": "127.0.0.1",
        "DAGSTER_PG_PORT": str(postgres_server),
        "DAGSTER_PG_USERNAME": "dagster",
        "DAGSTER_PG_DB": "dagster",
    }.items():
        monkeypatch.setenv(key, value)

    @dg.asset
    def one() -> int:
        return 1

    with dg.DagsterInstance.get() as instance:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        run_id = dg.materialize([one], instance=instance).run_id
    runs = subprocess.run(
        [
            "psql",
            "-h",
            "127.0.0.1",
            "-p",
            str(postgres_server),
            "-U",
            "dagster",
            "-d",
            "dagster",
            "-tAc",
            "select run_id from runs",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert run_id in runs.split()
    assert not (tmp_path / "history").exists()  # nothing went to sqlite


def test_the_packaged_instance_file_matches_the_repository_one():
    packaged = (ROOT / "techlead_pipeline" / "defs" / "dagster_instance.yaml").read_text().split("\n", 1)[1]
    assert packaged == (ROOT / "dagster.yaml").read_text().split("\n", 1)[1]
