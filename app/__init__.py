"""Kintsugi: a self-hosted GitHub App that heals Python repositories."""

__version__ = "0.1.0"
