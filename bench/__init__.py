"""Benchmarks: python -m bench [--leads N ...] (see docs/benchmarks.md)."""
