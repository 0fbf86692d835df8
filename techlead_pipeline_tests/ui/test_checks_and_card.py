"""The asset checks and the reviewer card in the Dagster UI, in headless Chromium (issue 21): a real
run of the training chain (retrieval-only, so it takes seconds) for the sample lead, and a failed
one for a reviewer with too few comments, recorded in the instance `dagster dev` then serves. The
checks show per partition, the failure as a failure; the card renders with its embedded images.
`make ui-check` refreshes the README's screenshot of the card."""

from __future__ import annotations

import re
import shutil

import pytest

from techlead_pipeline.common.partitions import reviewer_repo
from techlead_pipeline.common.settings import Settings
from techlead_pipeline.defs.dev_server import dagster_dev as run_dagster_dev
from techlead_pipeline.defs.runner import run_partition
from techlead_pipeline.github_api.client import TOKEN_NAME
from techlead_pipeline.github_api.token_vault import TokenVault
from techlead_pipeline.github_standin import GitHubStandin
from techlead_pipeline.sample.builder import BOT_LOGIN, LEAD
from techlead_pipeline_tests.conftest import SAMPLE_REPO
from techlead_pipeline_tests.ui.browser import CHROMIUM, dismiss_first_visit_dialog, first_visit_seen
from techlead_pipeline_tests.ui.test_dagster_ui import ROOT, instance_at, shot

pytestmark = pytest.mark.skipif(
    not shutil.os.path.exists(CHROMIUM), reason="Debian's chromium is not installed (.ci/run installs it)"
)
FEW = "priya-r"  # too few review comments in the sample to learn from


@pytest.fixture(scope="module")
def served_ui(tmp_path_factory, sample_fixture):
    home = tmp_path_factory.mktemp("dagster-checks")
    shutil.copy(ROOT / "dagster.yaml", home / "dagster.yaml")
    env = {
        "DAGSTER_HOME": str(home),
        "TECHLEAD_HOME": str(home / "techlead"),
        "TECHLEAD_TRAINER": "none",
        "TECHLEAD_SECONDS_BETWEEN_WRITES": "0",
        "TECHLEAD_SEMANTIC_METRIC": "0",
    }
    with pytest.MonkeyPatch.context() as patch, GitHubStandin(sample_fixture) as standin:
        env |= {"TECHLEAD_GITHUB_API_URL": standin.api_url, "TECHLEAD_GITHUB_WEB_URL": standin.url}
        for key, value in env.items():
            patch.setenv(key, value)
        patch.delenv("TECHLEAD_FERNET_KEYS", raising=False)
        TokenVault.open(Settings().secrets_dir).put(TOKEN_NAME, standin.token_for(BOT_LOGIN))
        with instance_at(home) as instance:
            lead, few = reviewer_repo(LEAD, SAMPLE_REPO), reviewer_repo(FEW, SAMPLE_REPO)
            instance.add_dynamic_partitions("reviewer_repo", [lead.key, few.key])
            assert run_partition("train_reviewer", lead, dagster_instance=instance).success
            patch.setenv("TECHLEAD_MIN_EXAMPLES", "1000")
            assert not run_partition("train_reviewer", few, dagster_instance=instance).success
    first_visit_seen(home)
    with run_dagster_dev({"DAGSTER_HOME": str(home), "TECHLEAD_HOME": str(home / "techlead")}) as url:
        yield url, lead, few


def page_at(browser, url: str):
    page = browser.new_context(viewport={"width": 1600, "height": 1000}).new_page()
    page.goto(url, wait_until="networkidle")
    dismiss_first_visit_dialog(page)
    return page


def test_checks_show_per_partition_and_failures_as_failures(served_ui, browser):
    url, lead, few = served_ui
    page = page_at(browser, f"{url}/assets/training_examples?view=checks&partition={few.key}")
    page.get_by_text("enough_examples").first.wait_for()
    shot(page, "asset-checks.png")
    assert page.get_by_text("Checks (3)").first.is_visible()
    assert page.get_by_text("This is a blocking asset check").first.is_visible()
    # how many are usable depends on the time split (at least 6 pull requests held out of 12 or more)
    assert page.get_by_text(
        re.compile(r"\d+ usable comments by the reviewer \(at least 1000 are needed\)")
    ).first.is_visible()
    assert page.get_by_text(few.key).first.is_visible()  # the result is the partition's
    assert page.get_by_text("Failed").count() >= 2 and page.get_by_text("Succeeded").count() >= 2
    adapter = page_at(browser, f"{url}/assets/reviewer_adapter?view=checks")
    adapter.get_by_text("base_model_is_served_model").first.wait_for()
    assert adapter.get_by_text("weights_match_checksums").first.is_visible()


def test_the_reviewer_card_renders_with_its_images(served_ui, browser):
    url, lead, _ = served_ui
    page = page_at(browser, f"{url}/assets/reviewer_evaluation?partition={lead.key}")
    page.get_by_text("reviewer_card").first.wait_for()
    page.get_by_text("reviewer_card").first.scroll_into_view_if_needed()
    shot(page, "reviewer-card-row.png")
    # The card's own "Show Markdown" (the evaluation's `scores` table is markdown too, and comes first).
    row = page.locator("tr", has_text="reviewer_card")
    button = row.get_by_role("button", name="Show markdown")
    button = button if button.count() else row.get_by_text("[Show Markdown]")
    button.first.click()
    dialog = page.get_by_role("dialog").filter(has_text="Most frequent concerns")
    dialog.get_by_text("Most frequent concerns").first.wait_for()
    images = dialog.locator("img[src^='data:image/png;base64,']")
    images.first.wait_for()
    assert images.count() >= 1
    assert all(images.nth(i).evaluate("img => img.naturalWidth") > 100 for i in range(images.count()))
    assert dialog.get_by_text("she wrote").first.is_visible()
    shot(page, "reviewer-card.png")
