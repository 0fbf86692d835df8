"""The mention parser: tolerant of how people type, deaf to quoted or code-formatted mentions,
and never raising, whatever the comment holds."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from techlead_pipeline.mentions.parse import MalformedMention, MentionCommand, parse_mention

BOT = "tech-lead-bot"


@pytest.mark.parametrize(
    "body,expected",
    [
        ("@tech-lead-bot mira-kovacs", MentionCommand("mira-kovacs")),
        ("@Tech-Lead-Bot: @Mira-Kovacs --force-reload.", MentionCommand("Mira-Kovacs", True)),
        ("@TECH-LEAD-BOT mira-kovacs —force-reload", MentionCommand("mira-kovacs", True)),
        ("@tech-lead-bot, mira-kovacs please!", MentionCommand("mira-kovacs")),
        ("Looks risky.\n\n**@tech-lead-bot** mira-kovacs\n", MentionCommand("mira-kovacs")),
        ("@tech-lead-bot --force-reload mira-kovacs", MentionCommand("mira-kovacs", True)),
        # what copy and paste, phones and editors do to a command typed by hand
        ("@tech-lead-bot mira-kovacs\u200b", MentionCommand("mira-kovacs")),
        ("\ufeff@tech-lead-bot mira\u2060-kovacs", MentionCommand("mira-kovacs")),
        ("@tech-lead-bot mira-kovacs \u2013-force-reload", MentionCommand("mira-kovacs", True)),
        ("@tech-lead-bot mira-kovacs \u2014Force-Reload", MentionCommand("mira-kovacs", True)),
        ("@tech-lead-bot mira-kovacs -F", MentionCommand("mira-kovacs", True)),
        ("@tech-lead-bot [@mira-kovacs](https://github.com/mira-kovacs)", MentionCommand("mira-kovacs")),
        ("@tech-lead-bot https://github.com/mira-kovacs/", MentionCommand("mira-kovacs")),
        ("- [ ] @tech-lead-bot mira-kovacs", MentionCommand("mira-kovacs")),
        ("### @tech-lead-bot mira-kovacs", MentionCommand("mira-kovacs")),
    ],
)
def test_commands(body, expected):
    assert parse_mention(body, BOT) == expected


@pytest.mark.parametrize(
    "body",
    [
        "`@tech-lead-bot mira-kovacs`",
        "> @tech-lead-bot mira-kovacs",
        "```\n@tech-lead-bot mira-kovacs\n```",
        "~~~text\n@tech-lead-bot mira-kovacs\n~~~",
        "    @tech-lead-bot mira-kovacs",
        "<!-- @tech-lead-bot mira-kovacs -->",
        "thanks @tech-lead-bot for the review",
        "write to ops@tech-lead-bot.example",
        "@tech-lead-botty mira-kovacs",
        "no mention at all",
        "",
    ],
)
def test_not_commands(body):
    assert parse_mention(body, BOT) is None


@pytest.mark.parametrize(
    "body,says",
    [
        ("@tech-lead-bot", "Whose reviews should I learn?"),
        ("@tech-lead-bot mira --bogus", "I don't know the option `--bogus`"),
        ("@tech-lead-bot mira_kovacs", "is not a GitHub username"),
        ("@tech-lead-bot mira.kovacs", "is not a GitHub username"),
    ],
)
def test_malformed_commands_get_a_sentence(body, says):
    result = parse_mention(body, BOT)
    assert isinstance(result, MalformedMention) and says in result.message
    assert result.message.endswith(".") and "@tech-lead-bot USERNAME" in result.message


@settings(max_examples=500, deadline=None)
@given(st.text(), st.sampled_from(["", "@tech-lead-bot ", "@Tech-Lead-Bot: ", "> @tech-lead-bot ", "```\n"]))
def test_fuzz_never_raises(text, prefix):
    result = parse_mention(prefix + text, BOT)
    assert result is None or isinstance(result, (MentionCommand, MalformedMention))
    if isinstance(result, MalformedMention):
        assert result.message and "Traceback" not in result.message
    if isinstance(result, MentionCommand):
        assert result.reviewer and "/" not in result.reviewer


@pytest.mark.parametrize(
    "body, reviewer",
    [
        ("@tech-lead-bot[bot] mira-kovacs", "mira-kovacs"),  # the App's own account name
        ("- @tech-lead-bot mira-kovacs", "mira-kovacs"),
        ("1. @tech-lead-bot mira-kovacs", "mira-kovacs"),
        ("+ @tech-lead-bot mira-kovacs", "mira-kovacs"),
        ("@tech-lead-bot old-login-", "old-login-"),  # accounts from before GitHub's current rules
        ("@tech-lead-bot a--b", "a--b"),
    ],
)
def test_real_ways_of_asking(body, reviewer):
    assert parse_mention(body, "tech-lead-bot") == MentionCommand(reviewer)


@pytest.mark.parametrize(
    "words",
    [
        "--x`@victim`",
        "`` @victim ``",
        "--&#64;victim",
        "@victim![i](evil.png)",
        "x``y@victim www.evil.example",
        "--a\u202e@b",
    ],
)
def test_malformed_mentions_are_answered_without_echoing_markup(words):
    from techlead_pipeline.common.safe_markdown import markup_problems
    from techlead_pipeline_tests.common.test_safe_markdown import live_pings

    reply = parse_mention(f"@tech-lead-bot {words}", "tech-lead-bot")
    assert isinstance(reply, MalformedMention), reply
    assert not markup_problems(reply.message) and not live_pings(reply.message), reply.message


def _every_invisible_character() -> list[str]:
    """Every format character (Cf) Unicode has, the bidi controls named by the issue among them."""
    import sys
    import unicodedata

    found = [chr(c) for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == "Cf"]
    assert set("\u2066\u2067\u2068\u2069\u202a\u202e\u061c\u180e\u200b\ufeff") <= set(found)
    return found


def test_invisible_characters_anywhere_in_a_command_change_nothing():
    """Issue 22: copy and paste puts a zero-width or bidi character anywhere, the bot's own name and
    the end of the reviewer's included; the command reads as it looks."""
    command = "@tech-lead-bot mira --force-reload"
    wrong = []
    for ch in _every_invisible_character():
        for at in range(len(command) + 1):
            body = command[:at] + ch + command[at:]
            if parse_mention(body, BOT) != MentionCommand("mira", True):
                wrong.append((hex(ord(ch)), at, parse_mention(body, BOT)))
    assert not wrong, wrong[:5]


def test_a_name_given_on_the_command_line_reads_as_it_looks():
    from techlead_pipeline.common.partitions import reviewer_repo

    target = reviewer_repo("\u200bmira\u2069", "\u2066acme/billing\u180e")
    assert (target.reviewer, target.repo) == ("mira", "acme/billing")
