"""Turning `@tech-lead-bot USER [--force-reload]` comments into work."""
