"""The Dagster UI, in headless Chromium (Debian's, driven by Playwright): the asset graph renders all
six assets and their lineage; a backfill over several partitions and the re-materialisation of one
partition (= force-reload) launch from the UI. `make ui-check` also refreshes the README's screenshots."""

from __future__ import annotations

import os
import shutil
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import pytest

from techlead_pipeline.defs.assets.steps import PIPELINE
from techlead_pipeline.defs.dev_server import dagster_dev as run_dagster_dev
from techlead_pipeline.defs.dev_server import free_port
from techlead_pipeline_tests.ui.browser import CHROMIUM, dismiss_first_visit_dialog, first_visit_seen

ROOT = Path(__file__).resolve().parents[2]
ASSETS = list(PIPELINE)
PARTITIONS = ["mira-kovacs@acme-labs+billing_core.py", "priya-r@acme-labs+billing_core.py"]
SHOTS = os.environ.get("TECHLEAD_SCREENSHOTS")  # a folder: refresh the README's screenshots there

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (.ci/run installs it)"
)


@contextmanager
def instance_at(home: Path):
    """The instance of the dagster dev under test (its storage follows DAGSTER_HOME)."""
    before = os.environ.get("DAGSTER_HOME")
    os.environ["DAGSTER_HOME"] = str(home)
    try:
        with dg.DagsterInstance.from_config(str(home)) as instance:
            yield instance
    finally:
        if before is None:
            os.environ.pop("DAGSTER_HOME")
        else:
            os.environ["DAGSTER_HOME"] = before


@pytest.fixture(scope="module")
def dagster_dev(tmp_path_factory):
    home = tmp_path_factory.mktemp("dagster-ui")
    shutil.copy(ROOT / "dagster.yaml", home / "dagster.yaml")
    with instance_at(home) as instance:
        instance.add_dynamic_partitions("reviewer_repo", PARTITIONS)
    env = {
        "DAGSTER_HOME": str(home),
        "TECHLEAD_HOME": str(home / "techlead"),
        # Runs launched from the UI here fail fast instead of reaching the internet.
        "TECHLEAD_GITHUB_API_URL": f"http://127.0.0.1:{free_port()}/api/v3",
        "TECHLEAD_RETRY_TOTAL": "0",
    }
    first_visit_seen(home)
    with run_dagster_dev(env) as url:
        yield url, home


def open_lineage(browser, url: str, asset: str, width: int = 1900):
    page = browser.new_context(viewport={"width": width, "height": 760}).new_page()
    page.goto(f"{url}/assets/{asset}?view=lineage&lineageScope=upstream&lineageDepth=6", wait_until="networkidle")
    page.locator("svg foreignObject").get_by_text(ASSETS[0], exact=True).first.wait_for()
    dismiss_first_visit_dialog(page)
    page.wait_for_timeout(500)
    return page


def shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / name))


def test_asset_graph_shows_the_lineage(dagster_dev, browser):
    url, _ = dagster_dev
    page = open_lineage(browser, url, "pr_review")
    graph = page.locator("svg foreignObject")
    boxes = {}
    for name in ASSETS:
        node = graph.get_by_text(name, exact=True).first
        assert node.is_visible(), name
        boxes[name] = node.bounding_box()
    xs = [boxes[n]["x"] for n in ASSETS]
    assert xs == sorted(xs)  # drawn left to right in lineage order
    edges = page.locator("svg path[stroke='var(--color-lineage-edge)']")
    assert edges.count() == len(ASSETS) - 1
    for group in ("history", "training", "reviews"):
        assert graph.get_by_text(group, exact=True).first.is_visible()
    shot(page, "asset-graph.png")


def test_backfill_over_partitions_launches_from_the_ui(dagster_dev, browser):
    url, home = dagster_dev
    page = open_lineage(browser, url, "reviewer_evaluation", width=1600)
    page.get_by_role("button", name="Materialize all…").last.click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("button", name="All", exact=True).click()
    dialog.get_by_text("2 partitions").wait_for()
    shot(page, "backfill-dialog.png")
    dialog.get_by_role("button", name="Launch backfill").click()
    page.get_by_text("Created backfill").wait_for()
    with instance_at(home) as instance:
        [backfill] = instance.get_backfills()
        assert sorted(k.to_user_string() for k in backfill.asset_selection) == sorted(ASSETS[:5])
        target = backfill.asset_backfill_data.target_subset.partitions_subsets_by_asset_key
        assert all(set(target[dg.AssetKey(a)].get_partition_keys()) == set(PARTITIONS) for a in ASSETS[:5])


def test_one_partition_rematerialises_from_the_ui(dagster_dev, browser):
    url, home = dagster_dev
    page = open_lineage(browser, url, "reviewer_evaluation", width=1600)
    page.get_by_role("button", name="Materialize all…").last.click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("button", name="Custom", exact=True).click()
    chip = 'div[data-tooltip="{}"] div[style*="cursor: pointer"]'
    placeholder = dialog.get_by_text("Select a partition or create one")
    # The selector renders either chips or, for an empty selection, the placeholder: wait for one of them.
    dialog.locator(chip.format(PARTITIONS[1])).or_(placeholder).first.wait_for()
    if dialog.locator(chip.format(PARTITIONS[1])).count() == 0:  # an empty selection: pick it
        placeholder.click()
        # The list also holds hidden copies used to measure truncation: click the visible entry.
        page.get_by_text(PARTITIONS[1], exact=True).filter(visible=True).last.click()
    for other in PARTITIONS[:1]:  # the dialog may start from every partition: drop the others
        remove = dialog.locator(chip.format(other))
        if remove.count():
            remove.click()
    dialog.get_by_text("1 partition", exact=True).wait_for()
    shot(page, "rematerialize-one-partition.png")
    launch = dialog.get_by_role("button", name="Launch backfill")
    launch = launch if launch.count() else dialog.get_by_role("button", name="Launch 1 run")
    launch.click()
    page.wait_for_timeout(2000)
    with instance_at(home) as instance:
        backfills = [
            b
            for b in instance.get_backfills()
            if set(
                b.asset_backfill_data.target_subset.partitions_subsets_by_asset_key[
                    dg.AssetKey("reviewer_adapter")
                ].get_partition_keys()
            )
            == {PARTITIONS[1]}
        ]
        runs = instance.get_runs(filters=dg.RunsFilter(tags={"dagster/partition": PARTITIONS[1]}))
        assert backfills or runs
