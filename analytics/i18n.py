"""The message catalogue without Streamlit: gettext .po files read with Babel.

English text is the message id; ``locales/zh/LC_MESSAGES/*.po`` hold Simplified Chinese.
ui/i18n.py adds the session's current language on top; the CLI uses this module for
``--lang zh`` output. Machine formats (``--format csv|json``) never translate.
:class:`SentenceTemplates` translates sentences that were finished in English before the
reader's language was known (import reasons, plan validation errors).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
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


_PLACEHOLDER = re.compile(r"{(\w+)}")
#: How sentences joined with "; " in English are joined in other languages.
LIST_SEPARATORS = {"zh": "；"}


def _pattern(msgid: str, values: Mapping[str, str]) -> re.Pattern[str]:
    """A regular expression matching the English sentences ``msgid`` produces.

    Each ``{name}`` matches ``values[name]`` when given, else any text (non-greedy); a name
    used twice must repeat the same text. ``{{`` and ``}}`` are literal braces, as in
    :meth:`str.format`.
    """
    parts, seen, pos = [], set(), 0
    for m in _PLACEHOLDER.finditer(msgid):
        parts.append(re.escape(msgid[pos : m.start()].replace("{{", "{").replace("}}", "}")))
        name = m.group(1)
        parts.append(f"(?P={name})" if name in seen else f"(?P<{name}>{values.get(name, '.*?')})")
        seen.add(name)
        pos = m.end()
    parts.append(re.escape(msgid[pos:].replace("{{", "{").replace("}}", "}")))
    return re.compile("".join(parts), re.DOTALL)


class SentenceTemplates:
    """Translate finished English sentences by matching them against their message ids.

    Libraries that build a sentence long before anyone knows the reader's language (import
    reasons written by SQL, validation errors raised as exceptions) keep producing English;
    the templates they use are listed here as message ids with ``{placeholders}``.
    :meth:`translate` finds the template a sentence came from, translates the template and
    puts the original placeholder values back, untranslated (they are data: file names,
    ids, cell values), except for placeholders listed in ``nested``, whose values are
    themselves translated with another :class:`SentenceTemplates`. A sentence no template
    matches is returned unchanged, so an unknown message falls back to English.

    Parameters
    ----------
    msgids
        The English templates. When several match a sentence, the one with the most literal
        text wins (``{file} could not be read as {tried} text ...`` before ``{file} could not
        be read ({error}) ...``).
    nested
        Placeholder name -> the templates that translate its value.
    values
        Placeholder name -> a regular expression its value always matches (default: any
        text), for placeholders that would otherwise make a sentence ambiguous.
    """

    def __init__(
        self,
        msgids: Iterable[str],
        *,
        nested: Mapping[str, SentenceTemplates] | None = None,
        values: Mapping[str, str] | None = None,
    ) -> None:
        self.msgids: tuple[str, ...] = tuple(dict.fromkeys(msgids))
        self.nested: dict[str, SentenceTemplates] = dict(nested or {})
        literal = {m: len(_PLACEHOLDER.sub("", m)) for m in self.msgids}
        self._compiled = [(m, _pattern(m, values or {})) for m in sorted(self.msgids, key=lambda m: -literal[m])]

    def match(self, text: str) -> tuple[str, dict[str, str]] | None:
        """The template ``text`` was built from and its placeholder values, or None."""
        for msgid, pattern in self._compiled:
            m = pattern.fullmatch(text)
            if m:
                return msgid, m.groupdict()
        return None

    def translate(self, text: str, lang: str) -> str:
        """``text`` in ``lang`` (``text`` itself for English or when no template matches)."""
        if lang == DEFAULT_LANG:
            return text
        found = self.match(text)
        if found is None:
            return text
        msgid, params = found
        for name, templates in self.nested.items():
            if name in params:
                params[name] = templates.translate(params[name], lang)
        return translate(msgid, lang, **params)

    def split(self, text: str, sep: str = "; ") -> list[str] | None:
        """``text`` cut at ``sep`` into sentences that each match a template, or None.

        A template may itself contain ``sep`` (``...; check this line``), and so may a
        value, so the cut points are chosen so that every piece matches, the shortest
        pieces first (a placeholder matches any text, separators included).
        """
        parts = text.split(sep)
        best: dict[int, list[str] | None] = {len(parts): []}
        for i in range(len(parts) - 1, -1, -1):
            best[i] = None
            for j in range(i + 1, len(parts) + 1):
                rest = best[j]
                piece = sep.join(parts[i:j])
                if rest is not None and self.match(piece) is not None:
                    best[i] = [piece, *rest]
                    break
        return best[0]

    def translate_joined(self, text: str, lang: str, *, sep: str = "; ") -> str:
        """Translate several sentences joined with ``sep`` (see :meth:`split`), each on its own.

        When the text cannot be cut into known sentences it is translated as one sentence
        (or kept). ``; `` becomes the language's own separator (``；`` in Chinese).
        """
        if lang == DEFAULT_LANG:
            return text
        pieces = self.split(text, sep)
        if pieces is None:
            return self.translate(text, lang)
        joiner = LIST_SEPARATORS.get(lang, sep) if sep == "; " else sep
        return joiner.join(self.translate(p, lang) for p in pieces)


#: ``A or B or C`` lists (accepted values, modes, tried encodings), translated item by item.
OR_LIST = SentenceTemplates(["{first} or {rest}"])
OR_LIST.nested["rest"] = OR_LIST
