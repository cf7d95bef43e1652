"""The session's formatter: :mod:`analytics.format` in the language of the current session.

Every rule (currency from ``LAB_CURRENCY``, rounding, compact units, missing values) lives
in analytics/format.py; this module only fills in the session's language.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from analytics import format as base
from analytics.format import BABEL_LOCALE, DEFAULT_CURRENCY, display_currency
from analytics.i18n import column_label
from ui.i18n import current_lang, t

__all__ = [
    "BABEL_LOCALE",
    "DEFAULT_CURRENCY",
    "count",
    "currency_symbol",
    "currency_unit",
    "day",
    "display_currency",
    "labelled",
    "money",
    "number",
    "percent",
    "signed_percent",
]


def money(value: float | None, *, lang: str | None = None, currency: str | None = None, compact: bool = False) -> str:
    """:func:`analytics.format.money` in the session's language."""
    return base.money(value, lang=lang or current_lang(), currency=currency, compact=compact)


def percent(value: float | None, *, lang: str | None = None, digits: int = 1) -> str:
    """:func:`analytics.format.percent` in the session's language."""
    return base.percent(value, lang=lang or current_lang(), digits=digits)


def signed_percent(value: float | None, *, lang: str | None = None, digits: int = 1) -> str:
    """:func:`analytics.format.signed_percent` in the session's language."""
    return base.signed_percent(value, lang=lang or current_lang(), digits=digits)


def count(value: float | None, *, lang: str | None = None) -> str:
    """:func:`analytics.format.count` in the session's language."""
    return base.count(value, lang=lang or current_lang())


def number(value: float | None, *, lang: str | None = None, digits: int = 2) -> str:
    """:func:`analytics.format.number` in the session's language."""
    return base.number(value, lang=lang or current_lang(), digits=digits)


def day(value: date | None, *, lang: str | None = None) -> str:
    """:func:`analytics.format.day` in the session's language."""
    return base.day(value, lang=lang or current_lang())


def currency_symbol(currency: str | None = None, *, lang: str | None = None) -> str:
    """:func:`analytics.format.currency_symbol` in the session's language."""
    return base.currency_symbol(currency, lang or current_lang())


def currency_unit(lang: str | None = None) -> str:
    """The configured currency as a unit in labels: its code ("CNY"), translated where the catalogue
    names it ("元" in Chinese). Labels say ``t("Amount ({currency})", currency=currency_unit())``."""
    return t(display_currency(), lang=lang)


def labelled(frame: pd.DataFrame, *, lang: str | None = None) -> pd.DataFrame:
    """``frame`` with its column identifiers replaced by their labels in the session's language."""
    lang = lang or current_lang()
    return frame.rename(columns=lambda c: column_label(str(c), lang))
