"""Who may ask, and what a mention turns into."""

from __future__ import annotations

from techlead_pipeline.mentions.decide import decide_mention

REPO = "acme-labs/billing_core.py"


def comment(body, login="tomas-b", pull=True, id=1):
    where = "pull" if pull else "issues"
    return {
        "id": id,
        "body": body,
        "user": {"login": login},
        "html_url": f"https://github.com/{REPO}/{where}/51#issuecomment-{id}",
        "issue_url": f"https://api.github.com/repos/{REPO}/issues/51",
    }


PERMS = {"tomas-b": "write", "mira-kovacs": "admin", "reader": "read", "sam-okafor": "none"}


def decide(c, cached=False, exists=True):
    return decide_mention(
        c,
        REPO,
        "tech-lead-bot",
        permission_of=lambda u: PERMS.get(u, "none"),
        user_exists=lambda u: exists,
        is_cached=lambda t: cached,
    )


def test_a_collaborator_gets_a_training_run_then_reviews_only():
    first = decide(comment("@tech-lead-bot mira-kovacs"))
    assert (first.kind, first.train, first.pull_number) == ("run", True, 51)
    assert first.target.key == "mira-kovacs@acme-labs+billing_core.py"
    assert decide(comment("@tech-lead-bot mira-kovacs"), cached=True).train is False
    forced = decide(comment("@tech-lead-bot mira-kovacs --force-reload"), cached=True)
    assert forced.train and forced.force_reload


def test_refusals_are_polite_sentences():
    for who in ("reader", "sam-okafor", "stranger"):
        work = decide(comment("@tech-lead-bot mira-kovacs", login=who))
        assert work.kind == "reply" and "only collaborators with write access" in work.reply
    assert (
        "can't find a GitHub user called `nobody-x`" in decide(comment("@tech-lead-bot nobody-x"), exists=False).reply
    )
    assert "review pull requests" in decide(comment("@tech-lead-bot mira-kovacs", pull=False)).reply
    assert decide(comment("@tech-lead-bot")).kind == "reply"


def test_the_bot_and_chatter_are_ignored():
    assert decide(comment("@tech-lead-bot mira-kovacs", login="tech-lead-bot")).kind == "ignore"
    assert decide(comment("@tech-lead-bot mira-kovacs", login="tech-lead-bot[bot]")).kind == "ignore"
    assert decide(comment("great work everyone")).kind == "ignore"


def test_a_stranger_hears_only_the_permission_refusal_even_on_an_issue():
    work = decide(comment("@tech-lead-bot mira-kovacs", login="stranger", pull=False))
    assert work.kind == "reply" and "only collaborators with write access" in work.reply


def test_the_pull_request_is_read_from_the_end_of_the_address():
    """An owner or repository called `pull` must not be taken for the pull-request path segment."""
    for repo in ("pull/pull", "pull/r", "o/pull"):
        c = {
            "id": 7,
            "body": "@tech-lead-bot mira-kovacs",
            "user": {"login": "tomas-b"},
            "html_url": f"https://github.com/{repo}/pull/5#issuecomment-7",
            "issue_url": f"https://api.github.com/repos/{repo}/issues/5",
        }
        assert (
            decide_mention(
                c,
                repo,
                "tech-lead-bot",
                permission_of=lambda u: "write",
                user_exists=lambda u: True,
                is_cached=lambda t: True,
            ).pull_number
            == 5
        )
        on_issue = dict(c, html_url=f"https://github.com/{repo}/issues/5#issuecomment-7")
        assert (
            decide_mention(
                on_issue,
                repo,
                "tech-lead-bot",
                permission_of=lambda u: "write",
                user_exists=lambda u: True,
                is_cached=lambda t: True,
            ).pull_number
            is None
        )
    webhook_issue = {"number": 5, "pull_request": {"url": "x"}}
    assert (
        decide(
            comment("@tech-lead-bot mira-kovacs", pull=False),
        ).pull_number
        is None
    )
    assert (
        decide_mention(
            comment("@tech-lead-bot mira-kovacs", pull=False),
            REPO,
            "tech-lead-bot",
            permission_of=lambda u: "write",
            user_exists=lambda u: True,
            is_cached=lambda t: True,
            issue=webhook_issue,
        ).pull_number
        == 51
    )
