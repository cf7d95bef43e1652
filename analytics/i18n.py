"""The message catalogue without Streamlit: gettext .po files read with Babel.

English text is the message id; ``locales/zh/LC_MESSAGES/*.po`` hold Simplified Chinese.
ui/i18n.py adds the session's current language on top; the CLI uses this module for
``--lang zh`` output. Machine formats (``--format csv|json``) never translate.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from babel.messages.pofile import read_po

LANGS = ("en", "zh")
DEFAULT_LANG = "en"
LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"

#: Column identifiers -> English labels, for human-readable tables and exports.
COLUMN_LABELS = {
    "metric": "Metric",
    "value": "Value",
    "previous": "Previous period",
    "change": "Change",
    "week_start": "Week starting",
    "leads": "Leads",
    "closed": "Closed",
    "won": "Won",
    "conversion_rate": "Conversion rate",
    "conversion_lo": "Interval low",
    "conversion_hi": "Interval high",
    "won_revenue": "Won revenue",
    "cum_won_revenue": "Won revenue to date",
    "target_pace": "Target pace",
    "band_lo": "80% of pace",
    "band_hi": "120% of pace",
    "target": "Target",
    "attainment": "Attainment",
    "rep_id": "Rep",
    "rep_name": "Rep name",
    "team_id": "Team",
    "region_id": "Region",
    "segment": "Segment",
    "source": "Source",
    "quarter": "Quarter",
    "grade": "Grade",
    "total_pay": "Total pay",
}


@lru_cache(maxsize=4)
def catalogue(lang: str) -> dict[str, str | tuple[str, ...]]:
    """msgid -> translation for ``lang`` (empty for English, whose ids are the text)."""
    out: dict[str, str | tuple[str, ...]] = {}
    folder = LOCALES_DIR / lang / "LC_MESSAGES"
    if lang == "en" or not folder.exists():
        return out
    for po in sorted(folder.glob("*.po")):
        with po.open("rb") as fh:
            cat = read_po(fh, locale="zh_Hans_CN" if lang == "zh" else lang)
        for msg in cat:
            if not msg.id or not msg.string:
                continue
            key = msg.id[0] if isinstance(msg.id, tuple) else msg.id
            out[key] = tuple(msg.string) if isinstance(msg.string, tuple) else msg.string
    return out


def translate(msgid: str, lang: str, /, **params: object) -> str:
    """Translate ``msgid`` into ``lang`` and fill ``{placeholders}``."""
    text = catalogue(lang if lang in LANGS else DEFAULT_LANG).get(msgid, msgid)
    if isinstance(text, tuple):
        text = text[0]
    return text.format(**params) if params else text


def column_label(column: str, lang: str) -> str:
    """A human label for a column identifier in ``lang`` (the identifier when unknown)."""
    english = COLUMN_LABELS.get(column)
    return translate(english, lang) if english else column
