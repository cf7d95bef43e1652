"""The headless interface, ``python -m analytics <command>``; no analysis module imports it."""

from analytics.cli.common import build_parser, main

__all__ = ["build_parser", "main"]
