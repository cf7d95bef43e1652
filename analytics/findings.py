"""One plain-language finding, and one renderer for pages, the CLI and the HTML report.

A :class:`Finding` is an English template with ``{placeholders}``, the raw parameters and
the kind of each parameter (how it is formatted). Rendering translates the template through
the message catalogue and formats every parameter with :mod:`analytics.format` in the chosen
language and currency, so a finding reads the same on the page, in ``--lang zh`` CLI
output and in the report.

A parameter's kind is ``kinds[name]`` when given, else inferred from its name:

=============  ================  ==========================
name ends in   kind              example
=============  ================  ==========================
``_pct``       ``percent``       0.19 -> 19.0%
``_signed``    ``signed_percent``  0.2 -> +20.0%
``_money``     ``compact_money``  1234567 -> ¥1.23M
``_n``         ``count``         1234 -> 1,234
``_num``       ``number1``       2.345 -> 2.3
``_p``         ``p``             0.0312 -> 0.031
=============  ================  ==========================

Anything else is text; ``labels`` (a callback ``(name, value) -> str``) turns stored values
such as a source, segment or tag into display names.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from analytics import format as fmt
from analytics.i18n import translate

#: Name suffix -> kind, for parameters without an explicit kind.
SUFFIX_KINDS = {
    "_pct": "percent",
    "_signed": "signed_percent",
    "_money": "compact_money",
    "_n": "count",
    "_num": "number1",
    "_p": "p",
}
#: Levels a finding can have (pages pick the box: info, success, warning).
LEVELS = ("info", "good", "warning")


def kind_of(name: str, kinds: dict[str, str] | None = None) -> str:
    """The kind of parameter ``name``: explicit in ``kinds``, else from its suffix, else text ("")."""
    if kinds and name in kinds:
        return kinds[name]
    for suffix, kind in SUFFIX_KINDS.items():
        if name.endswith(suffix):
            return kind
    return ""


@dataclass(frozen=True)
class Finding:
    """A plain-language statement: English ``template``, its ``params`` and their ``kinds``.

    ``level`` is ``info``, ``good`` or ``warning``. Use :func:`render` (or :meth:`english`)
    to show it; never format the template by hand.
    """

    template: str
    params: dict[str, object] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)
    level: str = "info"

    def kind(self, name: str) -> str:
        """The kind of parameter ``name`` (see the module docstring)."""
        return kind_of(name, self.kinds)

    def english(self, *, labels: Callable[[str, object], str] | None = None) -> str:
        """The finding in English (CLI table output, logs)."""
        return render(self, "en", labels=labels)


def render(
    finding: Finding,
    lang: str,
    *,
    labels: Callable[[str, object], str] | None = None,
    currency: str | None = None,
) -> str:
    """``finding`` in ``lang``: the translated template with every parameter formatted.

    Parameters
    ----------
    finding
        The finding to show.
    lang
        ``en`` or ``zh``.
    labels
        ``(name, value) -> text`` for text parameters (display names of stored values);
        by default the value itself.
    currency
        ISO code for money parameters (default: :func:`analytics.format.display_currency`).
    """
    out: dict[str, object] = {}
    for name, value in finding.params.items():
        kind = finding.kind(name)
        if kind in ("money", "compact_money"):
            out[name] = fmt.money(value, lang=lang, currency=currency, compact=kind == "compact_money")  # type: ignore[arg-type]
        elif kind:
            out[name] = fmt.value(value, kind, lang=lang)
        else:
            out[name] = labels(name, value) if labels else ("—" if value is None else value)
    return translate(finding.template, lang).format(**out)
