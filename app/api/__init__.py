"""HTTP routes: webhooks, health and metrics."""
