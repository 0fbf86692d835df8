"""GitHub App webhooks: a small ASGI service that verifies and stores deliveries, and what the mention
sensor reads back from them."""
