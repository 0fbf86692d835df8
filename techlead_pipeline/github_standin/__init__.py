"""A local GitHub stand-in that the real clients (PyGithub, git) talk to unmodified."""

from .server import GitHubStandin

__all__ = ["GitHubStandin"]
