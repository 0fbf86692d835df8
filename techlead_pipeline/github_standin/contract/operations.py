"""Every GitHub REST operation and webhook techlead-reviewer uses: the contract the stand-in is held to.

A route the stand-in serves must be one of these (a test checks), and every response it serves for
one is validated against GitHub's own schema for it (contract/validate.py).
"""

OPERATIONS: tuple[tuple[str, str], ...] = (
    ("GET", "/rate_limit"),
    ("GET", "/user"),
    ("GET", "/users/{username}"),
    ("GET", "/app"),
    ("GET", "/app/installations"),
    ("POST", "/app/installations/{installation_id}/access_tokens"),
    ("GET", "/installation/repositories"),
    ("GET", "/app/hook/deliveries"),
    ("GET", "/app/hook/deliveries/{delivery_id}"),
    ("POST", "/app/hook/deliveries/{delivery_id}/attempts"),
    ("GET", "/search/issues"),
    ("GET", "/repos/{owner}/{repo}"),
    ("GET", "/repos/{owner}/{repo}/installation"),
    ("GET", "/repos/{owner}/{repo}/collaborators/{username}/permission"),
    ("GET", "/repos/{owner}/{repo}/contents/{path}"),
    ("GET", "/repos/{owner}/{repo}/commits/{ref}"),
    ("GET", "/repos/{owner}/{repo}/pulls"),
    ("GET", "/repos/{owner}/{repo}/pulls/{pull_number}"),
    ("GET", "/repos/{owner}/{repo}/pulls/{pull_number}/files"),
    ("GET", "/repos/{owner}/{repo}/pulls/comments"),
    ("GET", "/repos/{owner}/{repo}/pulls/comments/{comment_id}"),
    ("GET", "/repos/{owner}/{repo}/pulls/comments/{comment_id}/reactions"),
    ("POST", "/repos/{owner}/{repo}/pulls/comments/{comment_id}/reactions"),
    ("GET", "/repos/{owner}/{repo}/compare/{basehead}"),
    ("GET", "/repos/{owner}/{repo}/pulls/{pull_number}/comments"),
    ("GET", "/repos/{owner}/{repo}/pulls/{pull_number}/reviews"),
    ("POST", "/repos/{owner}/{repo}/pulls/{pull_number}/reviews"),
    ("GET", "/repos/{owner}/{repo}/pulls/{pull_number}/reviews/{review_id}"),
    ("DELETE", "/repos/{owner}/{repo}/pulls/{pull_number}/reviews/{review_id}"),
    ("GET", "/repos/{owner}/{repo}/issues/{issue_number}"),
    ("GET", "/repos/{owner}/{repo}/issues/comments"),
    ("GET", "/repos/{owner}/{repo}/issues/comments/{comment_id}"),
    ("GET", "/repos/{owner}/{repo}/issues/{issue_number}/comments"),
    ("POST", "/repos/{owner}/{repo}/issues/{issue_number}/comments"),
)

WEBHOOKS: tuple[str, ...] = (
    "ping",
    "issue-comment-created",
    "issue-comment-edited",
    "pull-request-review-comment-created",
    "pull-request-review-comment-edited",
    "pull-request-review-submitted",
    "pull-request-review-edited",
    "installation-created",
    "installation-deleted",
    "installation-repositories-added",
    "installation-repositories-removed",
)
