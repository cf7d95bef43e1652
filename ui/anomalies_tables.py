"""Display names and tables of the Anomalies page, in the session's language.

:func:`load_names` reads the display names of regions or teams, segments, talk tracks and
sources through the cache; the table builders turn analytics frames (:class:`Detection`
anomalies, :class:`Decomposition` terms, behaviour deltas) into translated, formatted frames.
Findings are shown through :mod:`ui.findings` with :meth:`Names.labels`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from analytics import anomalies, lookups
from ui import data
from ui import format as fmt
from ui.i18n import current_lang, t


def metric_labels() -> dict[str, str]:
    """Metric name -> its title (selectbox, chart axis)."""
    return {
        "won_revenue": t("Won revenue"),
        "conversion_rate": t("Conversion rate"),
        "leads": t("Leads"),
        "avg_deal_value": t("Average deal value"),
    }


def term_labels() -> dict[str, str]:
    """Decomposition term -> its short label."""
    return {
        "volume": t("volume"),
        "mix": t("mix"),
        "rate": t("rate"),
        "value": t("deal value"),
        "other": t("renewals & other"),
    }


@dataclass(frozen=True)
class Names:
    """Display names of the stored values the page shows (id -> name)."""

    units: dict[str, str]
    segments: dict[str, str]
    tags: dict[str, str]
    sources: dict[str, str]

    def unit(self, unit: str) -> str:
        """A region or team by name."""
        return self.units.get(unit, unit)

    def series(self, series: str) -> str:
        """A series: ``All segments`` for the total, else the segment's name."""
        return t("All segments") if series == anomalies.TOTAL else self.segments.get(series, series)

    def tag(self, tag: str) -> str:
        """A talk track by name."""
        return self.tags.get(tag, tag.replace("_", " "))

    def labels(self) -> Callable[[str, object], str]:
        """The ``labels`` callback of the anomaly findings (unit, segment, tag; metric, term)."""
        names = {"unit": self.units, "segment": self.segments, "tag": self.tags}
        return anomalies.finding_labels(current_lang(), names)


def load_names(level: str) -> Names:
    """The display names for units of ``level`` (region or team), segments, tags and sources (cached)."""
    lang = current_lang()
    if level == "region":
        units = data.run(lookups.regions, lang=lang)
        unit_names = dict(zip(units["region_id"], units["label"], strict=True))
    else:
        units = data.run(lookups.teams, (), lang=lang)
        unit_names = dict(zip(units["team_id"], units["label"], strict=True))
    segs = data.run(lookups.segments, lang=lang)
    none = {anomalies.NO_SEGMENT: t("(none)")}  # rows without a segment (or source)
    return Names(
        units=unit_names,
        segments={**dict(zip(segs["segment"], segs["label"], strict=True)), **none},
        tags=data.run(lookups.display_names, "talk_track", lang),
        sources={**data.run(lookups.display_names, "source", lang), **none},
    )


def show(value: float, unit: str) -> str:
    """A metric value in its unit (money compact, rate as percent, count)."""
    if unit == "money":
        return fmt.money(value, compact=True)
    if unit == "rate":
        return fmt.percent(value)
    return fmt.count(value)


def contribution(value: float, unit: str) -> str:
    """A decomposition term in the metric's unit (percentage points for rates)."""
    sign = "+" if value >= 0 else ""
    if unit == "rate":
        return t("{value} pp", value=sign + fmt.number(100 * value, digits=2))
    if unit == "money":
        return sign + fmt.money(value, compact=True)
    return sign + fmt.number(value, digits=1)


def driver_name(driver: str, names: Names) -> str:
    """``segment:term`` as ``segment name · term label`` (``—`` for none)."""
    if not driver:
        return "—"
    key, term = driver.split(":", 1)
    who = t("all segments") if key == anomalies.TOTAL else names.segments.get(key, key)
    return f"{who} · {term_labels().get(term, term)}"


def anomaly_table(found: pd.DataFrame, level: str, unit: str, names: Names) -> pd.DataFrame:
    """The flagged unit-weeks (:attr:`Detection.anomalies`) as shown, most severe first."""
    directions = {"down": t("↓ down"), "up": t("↑ up")}
    return pd.DataFrame(
        {
            t("Region") if level == "region" else t("Team"): [names.unit(u) for u in found["unit"]],
            t("Week"): [
                f"{lbl} ({fmt.day(w)})" for lbl, w in zip(found["week_label"], found["week_start"], strict=True)
            ],
            t("Series"): [names.series(s) for s in found["series"]],
            t("Direction"): [directions[d] for d in found["direction"]],
            t("Actual"): [show(v, unit) for v in found["actual"]],
            t("Expected"): [show(v, unit) for v in found["expected"]],
            t("Band"): [
                f"{show(lo, unit)} – {show(hi, unit)}" for lo, hi in zip(found["lower"], found["upper"], strict=True)
            ],
            t("Score (robust z)"): [fmt.number(v, digits=1) for v in found["score"]],
            t("Money at stake"): [fmt.money(v, compact=True) for v in found["money_at_stake"]],
            t("Top driver"): [driver_name(d, names) for d in found["top_driver"]],
        }
    )


def term_label(key: str, term: str, names: dict[str, str]) -> str:
    """``who · term`` for one decomposition row (``all`` for the total)."""
    who = t("all") if key == anomalies.TOTAL else names.get(key, str(key).replace("_", " "))
    return f"{who} · {term_labels().get(term, term)}"


def terms_table(terms: pd.DataFrame, names: dict[str, str], unit: str) -> pd.DataFrame:
    """One decomposition's terms (:attr:`Decomposition.terms`) as shown; ``unit`` is the metric's."""
    labels = term_labels()
    return pd.DataFrame(
        {
            t("Who"): [
                t("all") if k == anomalies.TOTAL else names.get(k, str(k).replace("_", " ")) for k in terms["key"]
            ],
            t("Term"): [labels.get(x, x) for x in terms["term"]],
            t("Contribution"): [contribution(v, unit) for v in terms["contribution"]],
            t("Share of the change"): [fmt.percent(v) for v in terms["share"]],
            t("Before"): [show(v, u) for v, u in zip(terms["before"], terms["value_unit"], strict=True)],
            t("After"): [show(v, u) for v, u in zip(terms["after"], terms["value_unit"], strict=True)],
        }
    )


def behaviour_table(beh: pd.DataFrame, names: Names) -> pd.DataFrame:
    """Behaviour deltas (:func:`analytics.anomalies.behaviour.behaviour_deltas`) as shown."""
    is_tag = (beh["behaviour"] == "talk_track").tolist()

    def value(values: pd.Series) -> list[str]:
        return [fmt.percent(v) if it else fmt.number(v, digits=1) for v, it in zip(values, is_tag, strict=True)]

    return pd.DataFrame(
        {
            t("Segment"): [names.series(s) for s in beh["scope"]],
            t("Behaviour"): [
                t("Calls using '{tag}'", tag=names.tag(g)) if it else t("Needs-discovery score")
                for g, it in zip(beh["tag"], is_tag, strict=True)
            ],
            t("Baseline"): value(beh["before"]),
            t("This week"): value(beh["after"]),
            t("z"): [fmt.number(v, digits=1) for v in beh["z"]],
            t("Rest of company, this week"): value(beh["others_after"]),
        }
    )
