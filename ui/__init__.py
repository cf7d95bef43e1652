"""Streamlit-aware helpers: cached data access, filters, i18n, formatting, figures."""
