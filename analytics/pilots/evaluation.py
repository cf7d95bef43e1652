"""Pilot evaluation: did a scheme piloted in a few teams move a metric, against control teams?

The unit is a team and the period a quarter: each team's metric is averaged per quarter
(:func:`team_panel`), giving a teams x quarters panel. The pilot teams are *treated* from
the start quarter on; every other team in scope that is not itself flagged as a pilot is a
candidate *control*. Three estimators compare the average of the treated teams with a
weighted average of control teams (docs/methods/pilots.md):

- ``did``: difference-in-differences against *matched* controls: for every pilot team,
  the ``n_matches`` control teams nearest in pre-period level and trend (standardised
  Euclidean distance), equally weighted. Effect = (treated - controls) after the start
  minus (treated - controls) before it.
- ``sc``: synthetic control (Abadie, Diamond & Hainmueller 2010): non-negative control
  weights summing to 1 that reproduce the treated pre-period path (exact non-negative least
  squares); effect = average gap after the start.
- ``sdid``: synthetic difference-in-differences (Arkhangelsky, Athey, Hirshberg, Imbens &
  Wager 2021, AER): unit weights with an intercept and ridge penalty
  ``zeta = (N_treated * T_post)^(1/4) * sigma`` plus time weights over the pre-period,
  then a weighted DiD (without the paper's sparsification step).

Inference is valid with few treated teams: the whole estimator (matching or weights
included) is re-run with ``n_treated`` control teams pretending to be the pilot
(placebo-in-space, as in Abadie et al. 2010 and Conley & Taber 2011). With placebo
estimates ``e_b`` the interval is ``[effect - q97.5(e), effect - q2.5(e)]``, the p-value
is ``(1 + #{|e_b| >= |effect|}) / (1 + B)``, and the minimum detectable effect at 80%
power and 5% two-sided level is ``(z_0.975 + z_0.8) * sd(e)`` (Bloom 1995). A
placebo-in-time check re-runs the analysis inside the pre-period with a fake start.

The data (:mod:`~analytics.pilots.panel`), the estimators (:mod:`~analytics.pilots.sdid`)
and the findings (:mod:`~analytics.pilots.findings`) live in their own modules; this one
puts them together. The ``pilot`` command lives in the CLI package (cli/pilots.py).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from analytics.access import Scope
from analytics.filters import Filters
from analytics.findings import Finding
from analytics.periods import Quarter
from analytics.pilots.findings import pilot_findings
from analytics.pilots.panel import pilot_flags, split_periods, team_panel, wide_panel
from analytics.pilots.result import PilotResult
from analytics.pilots.sdid import (
    DEFAULT_MATCHES,
    DEFAULT_PLACEBOS,
    METHODS,
    MIN_PRE_QUARTERS,
    estimate_panel,
    features,
)
from analytics.store import Store

#: Placebo draws for each placebo-in-time start.
TIME_PLACEBOS = 200


def _empty_result(metric: str, teams: tuple[str, ...], start: str, method: str, note: Finding) -> PilotResult:
    nan = math.nan
    return PilotResult(
        metric=metric,
        teams=teams,
        start=start,
        method=method,
        effect=nan,
        lo=nan,
        hi=nan,
        p_value=nan,
        mde=nan,
        n_placebo=0,
        n_pool=0,
        baseline=nan,
        pre_rmse=nan,
        series=pd.DataFrame(columns=["quarter", "period", "treated", "control", "effect", "effect_lo", "effect_hi"]),
        controls=pd.DataFrame(columns=["team_id", "weight", "pre_level", "pre_slope", "distance"]),
        estimates=pd.DataFrame(columns=["method", "effect", "lo", "hi", "p_value", "mde", "pre_rmse"]),
        placebo_in_time=pd.DataFrame(columns=["fake_start", "effect", "lo", "hi", "p_value"]),
        mde_by_post=pd.DataFrame(columns=["post_quarters", "mde"]),
        placebo_effects=(),
        findings=(note,),
    )


def evaluate_pilot(
    store: Store,
    filters: Filters | None,
    scope: Scope,
    *,
    teams: tuple[str, ...] = (),
    start: str | None = None,
    metric: str = "collaboration_score",
    method: str = "auto",
    controls: tuple[str, ...] = (),
    same_type: bool = False,
    n_matches: int = DEFAULT_MATCHES,
    n_placebo: int = DEFAULT_PLACEBOS,
    balanced: bool = True,
    last_quarter: str | None = None,
    seed: int = 0,
) -> PilotResult:
    """Evaluate a pilot against control teams (see the module docstring).

    Parameters
    ----------
    teams
        Pilot team ids; empty = the teams flagged ``is_pilot`` in the store.
    start
        First quarter of the pilot (``2025Q2``); None = the flagged start quarter.
    metric
        A built-in metric (:data:`BUILTIN_METRICS`) or any ``rep_metrics`` metric name.
    method
        ``did``, ``sc``, ``sdid`` or ``auto`` (``sdid`` with fewer than 10 pilot teams,
        else ``did``). Every method is also reported in ``estimates``.
    controls
        Candidate control teams; empty = every other team in scope that is not a flagged
        pilot team.
    same_type
        Keep only candidate controls of the pilot teams' team types.
    n_matches
        Matched controls per pilot team for ``did``.
    n_placebo
        Placebo draws for the interval and p-value.
    balanced
        For ``rep_metrics`` metrics, average only reps present in every quarter.
    last_quarter
        Ignore quarters after this one (default: all).
    seed
        Seed of the placebo sample (results are reproducible).
    """
    flag_teams, flag_start = pilot_flags(store)
    teams = tuple(dict.fromkeys(teams)) or flag_teams
    start = start or flag_start
    chosen = method if method != "auto" else ("sdid" if 0 < len(teams) < 10 else "did")
    if chosen not in METHODS:
        raise ValueError(f"'{method}' is not a method; choose auto, {', '.join(METHODS)}.")
    if not teams or not start:
        return _empty_result(
            metric,
            teams,
            start or "",
            chosen,
            Finding("Choose the pilot teams and the start quarter (the store flags no pilot).", level="warning"),
        )
    start_q = Quarter.parse(start)
    panel = team_panel(store, filters, scope, metric=metric, balanced=balanced)
    if last_quarter:
        last_q = Quarter.parse(last_quarter)
        panel = panel[panel["quarter"].map(lambda q: Quarter.parse(q) <= last_q)]
    wide = wide_panel(panel, teams)
    missing = [tm for tm in teams if tm not in wide.index or wide.loc[tm].isna().any()]
    if missing:
        return _empty_result(
            metric,
            teams,
            str(start_q),
            chosen,
            Finding(
                "No {metric} value in every quarter for pilot team(s) {teams}; they cannot be evaluated "
                "(check the teams, your access scope and the filters).",
                {"metric": metric, "teams": ", ".join(missing)},
                {"teams": "text"},
                "warning",
            ),
        )
    wide = wide.dropna()
    team_types = store.query("SELECT team_id, team_type FROM teams").set_index("team_id")["team_type"]
    pilot_types = {team_types.get(tm) for tm in teams}
    candidates = [
        tm
        for tm in (controls or wide.index)
        if tm in wide.index
        and tm not in teams
        and (controls or tm not in flag_teams)
        and (not same_type or team_types.get(tm) in pilot_types)
    ]
    quarters = list(wide.columns)
    pre_quarters, _ = split_periods(quarters, str(start_q))
    pre = np.array([q in pre_quarters for q in quarters])
    if pre.sum() < MIN_PRE_QUARTERS or (~pre).sum() < 1 or not candidates:
        return _empty_result(
            metric,
            teams,
            str(start_q),
            chosen,
            Finding(
                "Too little data: the evaluation needs at least {k} quarters before {start}, one from it on, "
                "and at least one control team (found {pre} before, {post} after, {n} control teams).",
                {
                    "k": MIN_PRE_QUARTERS,
                    "start": str(start_q),
                    "pre": int(pre.sum()),
                    "post": int((~pre).sum()),
                    "n": len(candidates),
                },
                {"k": "count", "pre": "count", "post": "count", "n": "count"},
                "warning",
            ),
        )
    units = [*teams, *candidates]
    y = wide.loc[units].to_numpy(dtype=float)
    is_t = np.array([u in teams for u in units])
    is_pool = ~is_t
    ests = {
        m: estimate_panel(y, is_t, is_pool, pre, method=m, n_matches=n_matches, n_placebo=n_placebo, seed=seed)
        for m in METHODS
    }
    est = ests[chosen]
    series = pd.DataFrame(
        {
            "quarter": quarters,
            "period": np.where(pre, "pre", "post"),
            "treated": est.treated_path,
            "control": est.control_path,
            "effect": est.effects,
            "effect_lo": est.effects_lo,
            "effect_hi": est.effects_hi,
        }
    )
    feats = features(y, pre)
    ypre = y[:, pre]
    x = np.arange(ypre.shape[1], dtype=float) - (ypre.shape[1] - 1) / 2
    level = ypre.mean(axis=1)
    slope = (ypre - level[:, None]) @ x / max(float(x @ x), 1e-12)
    dist = np.array([np.linalg.norm(feats[is_t] - feats[i], axis=1).min() for i in range(len(units))])
    ctrl = pd.DataFrame(
        {"team_id": units, "weight": est.weights, "pre_level": level, "pre_slope": slope, "distance": dist}
    )[~is_t]
    ctrl = ctrl[ctrl["weight"] > 1e-4].sort_values(["weight", "distance"], ascending=[False, True])
    estimates = pd.DataFrame(
        [
            {
                "method": m,
                "effect": e.effect,
                "lo": e.lo,
                "hi": e.hi,
                "p_value": e.p_value,
                "mde": e.mde,
                "pre_rmse": e.pre_rmse,
            }
            for m, e in ests.items()
        ]
    )
    pit = _placebo_in_time(y, is_t, is_pool, pre, quarters, chosen, n_matches, min(n_placebo, TIME_PLACEBOS), seed)
    mde_post = pd.DataFrame({"post_quarters": np.arange(1, int((~pre).sum()) + 1), "mde": est.mde_by_post})
    baseline = float(est.treated_path[pre].mean())
    sizes = panel.groupby("team_id")["n"].mean()
    result = PilotResult(
        metric=metric,
        teams=teams,
        start=str(start_q),
        method=chosen,
        effect=est.effect,
        lo=est.lo,
        hi=est.hi,
        p_value=est.p_value,
        mde=est.mde,
        n_placebo=est.n_placebo,
        n_pool=len(candidates),
        baseline=baseline,
        pre_rmse=est.pre_rmse,
        series=series,
        controls=ctrl.reset_index(drop=True),
        estimates=estimates,
        placebo_in_time=pit,
        mde_by_post=mde_post,
        placebo_effects=tuple(float(v) for v in est.placebo_effects),
        pilot_size=float(sizes.reindex(list(teams)).mean()),
        pool_size=float(sizes.reindex(candidates).median()),
    )
    return PilotResult(**{**result.__dict__, "findings": tuple(pilot_findings(result))})


def _placebo_in_time(
    y: np.ndarray,
    is_t: np.ndarray,
    is_pool: np.ndarray,
    pre: np.ndarray,
    quarters: list[str],
    method: str,
    n_matches: int,
    n_placebo: int,
    seed: int,
) -> pd.DataFrame:
    """The same analysis inside the pre-period, pretending the pilot started earlier."""
    cols = ["fake_start", "effect", "lo", "hi", "p_value"]
    pre_idx = np.flatnonzero(pre)
    rows = []
    for k in range(MIN_PRE_QUARTERS, len(pre_idx)):
        sub = y[:, pre_idx]
        fake_pre = np.arange(len(pre_idx)) < k
        e = estimate_panel(
            sub, is_t, is_pool, fake_pre, method=method, n_matches=n_matches, n_placebo=n_placebo, seed=seed
        )
        rows.append(
            {"fake_start": quarters[pre_idx[k]], "effect": e.effect, "lo": e.lo, "hi": e.hi, "p_value": e.p_value}
        )
    return pd.DataFrame(rows, columns=cols)
