"""The result of a pilot evaluation (:class:`PilotResult`) and its JSON shape."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analytics.findings import Finding, render
from analytics.pilots.sdid import LEVEL


@dataclass(frozen=True)
class PilotResult:
    """A pilot evaluation (see :func:`evaluate_pilot`).

    ``series`` (one row per quarter): ``quarter``, ``period`` (pre/post), ``treated``
    (average of the pilot teams), ``control`` (the weighted controls, shifted by the
    method's pre-period adjustment), ``effect`` (= treated - control), ``effect_lo``,
    ``effect_hi`` (95% placebo band). ``controls`` (one row per control team with
    weight > 0): ``team_id``, ``weight``, ``pre_level``, ``pre_slope``, ``distance``
    (standardised distance to the nearest pilot team in level and trend).
    ``estimates`` (one row per method): ``method``, ``effect``, ``lo``, ``hi``,
    ``p_value``, ``mde``, ``pre_rmse``. ``placebo_in_time`` (one row per fake start):
    ``fake_start``, ``effect``, ``lo``, ``hi``, ``p_value``. ``mde_by_post``: ``post_quarters``,
    ``mde``. ``placebo_effects``: the placebo-in-space estimates of the chosen method.
    """

    metric: str
    teams: tuple[str, ...]
    start: str
    method: str
    effect: float
    lo: float
    hi: float
    p_value: float
    mde: float
    n_placebo: int
    n_pool: int
    baseline: float
    pre_rmse: float
    series: pd.DataFrame
    controls: pd.DataFrame
    estimates: pd.DataFrame
    placebo_in_time: pd.DataFrame
    mde_by_post: pd.DataFrame
    placebo_effects: tuple[float, ...]
    findings: tuple[Finding, ...] = field(default_factory=tuple)
    pilot_size: float = math.nan
    pool_size: float = math.nan

    @property
    def ok(self) -> bool:
        """True when an effect could be estimated."""
        return not math.isnan(self.effect)

    def to_dict(self, lang: str = "en") -> dict[str, object]:
        """The JSON shape of the ``pilot`` command (findings rendered in ``lang``)."""

        def rows(df: pd.DataFrame) -> list[dict[str, object]]:
            return [{k: _clean(v) for k, v in r.items()} for r in df.to_dict(orient="records")]

        return {
            "metric": self.metric,
            "teams": list(self.teams),
            "start": self.start,
            "method": self.method,
            "effect": _clean(self.effect),
            "lo": _clean(self.lo),
            "hi": _clean(self.hi),
            "p_value": _clean(self.p_value),
            "mde": _clean(self.mde),
            "level": LEVEL,
            "interval": "placebo over control teams (Conley-Taber)",
            "n_placebo": self.n_placebo,
            "n_pool": self.n_pool,
            "baseline": _clean(self.baseline),
            "pre_rmse": _clean(self.pre_rmse),
            "controls": rows(self.controls[["team_id", "weight"]]),
            "series": rows(self.series),
            "estimates": rows(self.estimates),
            "placebo_in_time": rows(self.placebo_in_time),
            "mde_by_post": rows(self.mde_by_post),
            "findings": [render(f, lang) for f in self.findings],
        }


def _clean(v: object) -> object:
    if isinstance(v, float | np.floating):
        return None if math.isnan(float(v)) else round(float(v), 6)
    if isinstance(v, np.integer):
        return int(v)
    return v
