"""Locale-aware formatting of money, percentages, counts and dates (Babel)."""

from __future__ import annotations

import math
import os
from datetime import date

from babel.dates import format_date
from babel.numbers import format_currency, format_decimal, format_percent

from ui.i18n import current_lang

BABEL_LOCALE = {"en": "en_US", "zh": "zh_Hans_CN"}
#: The currency money is shown in: ``LAB_CURRENCY`` (an ISO code such as USD), CNY by default.
DEFAULT_CURRENCY = "CNY"


def display_currency() -> str:
    """The configured display currency (``LAB_CURRENCY``, default CNY)."""
    code = os.environ.get("LAB_CURRENCY", DEFAULT_CURRENCY).strip().upper()
    return code if len(code) == 3 and code.isalpha() else DEFAULT_CURRENCY


def _missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def money(value: float | None, *, lang: str | None = None, currency: str | None = None, compact: bool = False) -> str:
    """``¥1,234,567.80``; compact: ``123.5万`` / ``1.2亿`` in Chinese, ``¥1.23M`` in English.

    ``currency`` defaults to the configured display currency (``LAB_CURRENCY``, CNY).
    """
    lang = lang or current_lang()
    currency = currency or display_currency()
    if _missing(value):
        return "—"
    v = float(value)  # type: ignore[arg-type]
    if compact:
        sign = "-" if v < 0 else ""
        a = abs(v)
        symbol = "¥" if currency == "CNY" else f"{currency} "
        if lang == "zh":
            if a >= 1e8:
                return f"{sign}{symbol}{a / 1e8:,.2f}亿"
            if a >= 1e4:
                return f"{sign}{symbol}{a / 1e4:,.1f}万"
            return f"{sign}{symbol}{a:,.0f}"
        for div, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
            if a >= div:
                return f"{sign}{symbol}{a / div:,.2f}{suffix}"
        return f"{sign}{symbol}{a:,.0f}"
    text = format_currency(v, currency, locale=BABEL_LOCALE[lang])
    return text.replace("CN¥", "¥")


def percent(value: float | None, *, lang: str | None = None, digits: int = 1) -> str:
    """``12.3%``."""
    if _missing(value):
        return "—"
    fmt = "#,##0." + "0" * digits + "%" if digits else "#,##0%"
    return format_percent(float(value), format=fmt, locale=BABEL_LOCALE[lang or current_lang()])  # type: ignore[arg-type]


def count(value: float | None, *, lang: str | None = None) -> str:
    """``1,234``."""
    if _missing(value):
        return "—"
    return format_decimal(round(float(value)), locale=BABEL_LOCALE[lang or current_lang()])  # type: ignore[arg-type]


def number(value: float | None, *, lang: str | None = None, digits: int = 2) -> str:
    """A decimal with ``digits`` places."""
    if _missing(value):
        return "—"
    fmt = "#,##0." + "0" * digits if digits else "#,##0"
    return format_decimal(float(value), format=fmt, locale=BABEL_LOCALE[lang or current_lang()])  # type: ignore[arg-type]


def day(value: date | None, *, lang: str | None = None) -> str:
    """``Aug 4, 2025`` / ``2025年8月4日``."""
    if value is None:
        return "—"
    lang = lang or current_lang()
    return format_date(value, format="medium" if lang == "en" else "long", locale=BABEL_LOCALE[lang])


def signed_percent(value: float | None, *, lang: str | None = None, digits: int = 1) -> str:
    """``+12.3%`` / ``-4.0%`` (for deltas)."""
    if _missing(value):
        return "—"
    body = percent(abs(float(value)), lang=lang, digits=digits)  # type: ignore[arg-type]
    return ("+" if float(value) >= 0 else "-") + body  # type: ignore[arg-type]
