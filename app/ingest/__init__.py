"""Turning signed webhook deliveries into stored events."""
