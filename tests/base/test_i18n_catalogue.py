"""Every message shown by views/ and ui/ has a Chinese translation, and placeholders match."""

from __future__ import annotations

import ast
import re

import pytest

from tests.conftest import ROOT
from ui.i18n import catalogue, t, tn

SOURCES = [ROOT / "app.py", *sorted((ROOT / "views").glob("*.py")), *sorted((ROOT / "ui").glob("*.py"))]
_PLACEHOLDER = re.compile(r"{(\w+)}")


def message_ids() -> dict[str, str]:
    """Every literal first argument of t(...) / tn(...) in the UI code -> where it is."""
    found: dict[str, str] = {}
    for path in SOURCES:
        tree = ast.parse(path.read_text("utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("t", "tn")
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                found.setdefault(node.args[0].value, f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_scan_finds_the_messages():
    ids = message_ids()
    assert "Overview" in ids and len(ids) > 30


def test_every_message_has_a_chinese_translation():
    zh = catalogue("zh")
    missing = [f"{where}: {msgid!r}" for msgid, where in message_ids().items() if msgid not in zh]
    assert not missing, "untranslated messages:\n" + "\n".join(missing)


def test_placeholders_match_between_languages():
    zh = catalogue("zh")
    bad = []
    for msgid in message_ids():
        text = zh.get(msgid)
        if isinstance(text, tuple):
            text = text[0]
        if text is not None and set(_PLACEHOLDER.findall(msgid)) != set(_PLACEHOLDER.findall(text)):
            bad.append(msgid)
    assert not bad, bad


def test_t_formats_and_falls_back():
    assert t("Overview", lang="zh") == "概览"
    assert t("Overview", lang="en") == "Overview"
    assert t("no such message {x}", lang="zh", x=3) == "no such message 3"
    assert tn("{n} rep", "{n} reps", 1, lang="en") == "1 rep"
    assert tn("{n} rep", "{n} reps", 2, lang="en") == "2 reps"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_catalogue_loads(lang):
    assert isinstance(catalogue(lang), dict)


def test_every_message_has_one_translation_across_the_catalogue_files():
    """One home per message: the same English id never gets two Chinese texts in two .po files
    (the catalogue merges them, so one would silently win)."""
    from babel.messages.pofile import read_po

    seen: dict[str, tuple[str, object]] = {}
    conflicts = []
    for po in sorted((ROOT / "locales" / "zh" / "LC_MESSAGES").glob("*.po")):
        with po.open("rb") as fh:
            for m in read_po(fh):
                if not m.id:
                    continue
                key = m.id if isinstance(m.id, str) else m.id[0]
                value = m.string if isinstance(m.string, str) else tuple(m.string)
                first = seen.setdefault(key, (po.name, value))
                if first[1] != value:
                    conflicts.append((key, first, (po.name, value)))
    assert conflicts == []
