"""Kept files are private and never half-written, even when the disk fills up mid-write."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from techlead_pipeline.common.private_files import write_private


def test_written_files_are_private(tmp_path):
    write_private(tmp_path / "a" / "record.json", "{}")
    assert (tmp_path / "a" / "record.json").stat().st_mode & 0o077 == 0


def test_a_write_that_runs_out_of_space_leaves_the_old_file_and_no_debris(tmp_path):
    target = tmp_path / "record.json"
    target.write_text('{"old": true}')
    # A file-size limit makes the write fail with EFBIG, as a full disk fails it with ENOSPC.
    script = textwrap.dedent(
        f"""
        import resource, signal, sys
        from pathlib import Path
        from techlead_pipeline.common.private_files import write_private
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
        try:
            write_private(Path({str(target)!r}), "x" * 100_000)
        except OSError as exc:
            print("failed", exc.errno)
            sys.exit(0)
        sys.exit(1)
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.startswith("failed"), done.stdout + done.stderr
    assert target.read_text() == '{"old": true}'
    assert [p.name for p in tmp_path.iterdir()] == ["record.json"]
