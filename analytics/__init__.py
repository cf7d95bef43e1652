"""Quarterly performance & incentive lab: the pure analytics library (no Streamlit)."""

__version__ = "0.1.0"
