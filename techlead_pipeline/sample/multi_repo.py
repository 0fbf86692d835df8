"""The bundled sample, served as several repositories (for load tests): copies of the sample repository
under other names, each with its own history, comments and collaborators."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from .builder import OWNER, REPO, SampleSpec, build_sample


def build_multi_repo_fixture(dest: Path, repositories: int, spec: SampleSpec | None = None) -> list[str]:
    """Writes the fixture into `dest`; returns the repositories' full names (the sample's first)."""
    build_sample(dest, spec)
    source = dest / "repos" / OWNER / REPO
    names = [f"{OWNER}/{REPO}"] + [f"{OWNER}/service-{i:02d}" for i in range(1, repositories)]
    for name in names[1:]:
        shutil.copytree(source, dest / "repos" / name, symlinks=True)
    spec_path = dest / "fixture.json"
    fixture = json.loads(spec_path.read_text())
    fixture["repositories"] = names
    for app in fixture["apps"]:
        for installation in app["installations"]:
            installation["repos"] = names
    spec_path.write_text(json.dumps(fixture, indent=1, sort_keys=True))
    return names
