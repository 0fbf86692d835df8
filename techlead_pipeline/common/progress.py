"""Progress of long steps, for whoever is watching: a rich progress bar when the CLI runs the
pipeline in-process, nothing (the Dagster log only) when Dagster runs it elsewhere."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Callable, Iterator

Reporter = Callable[[str, int, int | None, str], None]  # (task, done, total, note)
_reporter: Reporter | None = None


def report(task: str, done: int, total: int | None = None, note: str = "") -> None:
    if _reporter is not None:
        _reporter(task, done, total, note)


@contextmanager
def rich_progress() -> Iterator[None]:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    global _reporter
    tasks: dict[str, int] = {}
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[note]}"),
        TimeElapsedColumn(),
        transient=False,
    ) as bar:

        def reporter(task: str, done: int, total: int | None, note: str) -> None:
            if task not in tasks:
                # Stages run one after another: one of no known length has ended when the next
                # begins, and its clock stops there (it used to run on through every later stage).
                for other in bar.tasks:
                    if other.total is None:
                        bar.update(other.id, total=max(other.completed, 1), completed=max(other.completed, 1))
                tasks[task] = bar.add_task(task, total=total, note=note)
            bar.update(tasks[task], completed=done, total=total, note=note)

        _reporter = reporter
        try:
            yield
        finally:
            _reporter = None
