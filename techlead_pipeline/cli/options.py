"""Options several commands share: which (reviewer, repository), which GitHub."""

from __future__ import annotations

import argparse
import os


def common_target(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--reviewer", required=True, help="GitHub login whose reviews to learn")
    parser.add_argument("--repo", required=True, help="OWNER/NAME")
    parser.add_argument("--github-url", help="REST API base URL (default: TECHLEAD_GITHUB_API_URL or api.github.com)")


def apply_github_url(args: argparse.Namespace) -> None:
    from ..common.settings import web_url_for

    if getattr(args, "github_url", None):
        os.environ["TECHLEAD_GITHUB_API_URL"] = args.github_url
        os.environ.setdefault("TECHLEAD_GITHUB_WEB_URL", web_url_for(args.github_url))
    if os.environ.get("TECHLEAD_GITHUB_TOKEN"):
        # Move a token given through the environment into the encrypted vault, then forget it.
        from ..common.settings import Settings
        from ..github_api.client import TOKEN_NAME
        from ..github_api.token_vault import TokenVault

        TokenVault.open(Settings().secrets_dir).put(TOKEN_NAME, os.environ.pop("TECHLEAD_GITHUB_TOKEN"))
