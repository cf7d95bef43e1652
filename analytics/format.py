"""The one formatter of numbers, money, percentages and dates (Babel), for every output.

Pages (through ``ui/format.py``, which only adds the session's language), the CLI's table
output, payout statements and the HTML audit report all format through these functions,
so ``LAB_CURRENCY=USD`` shows ``$`` everywhere alike. Missing values (None, NaN) are "—".
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from datetime import date

from babel.dates import format_date
from babel.numbers import format_currency, format_decimal, format_percent, get_currency_symbol

#: Babel locale of each interface language.
BABEL_LOCALE = {"en": "en_US", "zh": "zh_Hans_CN"}
#: The currency money is shown in unless ``LAB_CURRENCY`` (an ISO 4217 code) says otherwise.
DEFAULT_CURRENCY = "CNY"
MISSING = "—"
#: Compact units: (divisor, suffix) from the largest, per language.
_COMPACT = {
    "en": ((1e9, "B"), (1e6, "M"), (1e3, "K")),
    "zh": ((1e8, "亿"), (1e4, "万")),
}
#: Decimals of a compact amount per suffix (the rest: 2).
_COMPACT_DIGITS = {"万": 1}


def display_currency() -> str:
    """The configured display currency: ``LAB_CURRENCY`` (three letters), CNY by default."""
    code = os.environ.get("LAB_CURRENCY", DEFAULT_CURRENCY).strip().upper()
    return code if len(code) == 3 and code.isalpha() else DEFAULT_CURRENCY


def currency_symbol(currency: str | None = None, lang: str = "en") -> str:
    """The short symbol of ``currency`` (``¥``, ``$``, ``€``; the code itself when none is known)."""
    code = currency or display_currency()
    symbol = get_currency_symbol(code, locale=BABEL_LOCALE.get(lang, "en_US"))
    symbol = {"CN¥": "¥", "US$": "$"}.get(symbol, symbol)
    return symbol if symbol != code else f"{code} "


def _missing(value: object) -> bool:
    if value is None:
        return True
    try:
        return math.isnan(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


def _locale(lang: str) -> str:
    return BABEL_LOCALE.get(lang, BABEL_LOCALE["en"])


def money(value: float | None, *, lang: str = "en", currency: str | None = None, compact: bool = False) -> str:
    """``¥1,234,567.80``; compact: ``¥123.5万`` / ``¥1.23亿`` in Chinese, ``¥1.23M`` in English.

    ``currency`` defaults to :func:`display_currency`. Compact amounts are rounded, not
    truncated, and a value that rounds up to the next unit is shown in it (999,999 ->
    ``¥1.00M``, not ``¥1,000.00K``).
    """
    if _missing(value):
        return MISSING
    currency = currency or display_currency()
    v = float(value)  # type: ignore[arg-type]
    if not compact:
        text = format_currency(v, currency, locale=_locale(lang))
        return text.replace("CN¥", "¥").replace("US$", "$")
    sign = "-" if v < 0 else ""
    a = abs(v)
    symbol = currency_symbol(currency, lang)
    units = _COMPACT["zh" if lang == "zh" else "en"]
    for i, (div, suffix) in enumerate(units):
        if a < div:
            continue
        digits = _COMPACT_DIGITS.get(suffix, 2)
        if i > 0 and round(a / div, digits) * div >= units[i - 1][0]:  # rounds up into the larger unit
            div, suffix = units[i - 1]
            digits = _COMPACT_DIGITS.get(suffix, 2)
        return f"{sign}{symbol}{a / div:,.{digits}f}{suffix}"
    return f"{sign}{symbol}{a:,.0f}"


def percent(value: float | None, *, lang: str = "en", digits: int = 1) -> str:
    """``12.3%`` (``value`` a fraction)."""
    if _missing(value):
        return MISSING
    fmt = "#,##0." + "0" * digits + "%" if digits else "#,##0%"
    return format_percent(float(value), format=fmt, locale=_locale(lang))  # type: ignore[arg-type]


def signed_percent(value: float | None, *, lang: str = "en", digits: int = 1) -> str:
    """``+12.3%`` / ``-4.0%`` (for deltas)."""
    if _missing(value):
        return MISSING
    body = percent(abs(float(value)), lang=lang, digits=digits)  # type: ignore[arg-type]
    return ("+" if float(value) >= 0 else "-") + body  # type: ignore[arg-type]


def count(value: float | None, *, lang: str = "en") -> str:
    """``1,234`` (rounded to a whole number)."""
    if _missing(value):
        return MISSING
    return format_decimal(round(float(value)), locale=_locale(lang))  # type: ignore[arg-type]


def number(value: float | None, *, lang: str = "en", digits: int = 2) -> str:
    """A decimal with ``digits`` places and thousands separators."""
    if _missing(value):
        return MISSING
    fmt = "#,##0." + "0" * digits if digits else "#,##0"
    return format_decimal(float(value), format=fmt, locale=_locale(lang))  # type: ignore[arg-type]


def signed_number(value: float | None, *, lang: str = "en", digits: int = 2) -> str:
    """``+1.25`` / ``-0.40``."""
    if _missing(value):
        return MISSING
    return ("+" if float(value) >= 0 else "-") + number(abs(float(value)), lang=lang, digits=digits)  # type: ignore[arg-type]


def p_value(value: float | None, *, lang: str = "en") -> str:
    """A p- or q-value with three decimals (``<0.001`` below that)."""
    if _missing(value):
        return MISSING
    v = float(value)  # type: ignore[arg-type]
    return "<0.001" if 0 < v < 0.0005 else number(v, lang=lang, digits=3)


def day(value: date | None, *, lang: str = "en") -> str:
    """``Aug 4, 2025`` / ``2025年8月4日``."""
    if value is None:
        return MISSING
    return format_date(value, format="medium" if lang != "zh" else "long", locale=_locale(lang))


#: Value kinds a finding's parameter can have, and how each is formatted.
KINDS: dict[str, Callable[..., str]] = {
    "percent": percent,
    "signed_percent": signed_percent,
    "money": money,
    "compact_money": lambda v, *, lang="en": money(v, lang=lang, compact=True),
    "count": count,
    "number": number,
    "number1": lambda v, *, lang="en": number(v, lang=lang, digits=1),
    "signed_number": signed_number,
    "p": p_value,
}


def value(v: object, kind: str, *, lang: str = "en") -> str:
    """Format ``v`` as ``kind`` (a key of :data:`KINDS`); text and unknown kinds as ``str(v)``."""
    fn = KINDS.get(kind)
    if fn is None or isinstance(v, str | bool):
        return MISSING if v is None else str(v)
    return fn(v, lang=lang)
