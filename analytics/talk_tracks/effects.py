"""Talk-track impact: raw and adjusted (doubly robust) effects of call talk tracks on conversion.

For every talk-track tag found by call analysis, a closed lead is *treated* when at least one
of its calls up to its close date used the tag. For each tag we report

- the raw conversion (won / closed) of treated and untreated leads with Wilson intervals,
  their difference and ratio (what a BI "key influencer" visual shows), and
- an *adjusted* effect: augmented inverse-propensity weighting (AIPW, doubly robust) with
  cross-fitting, controlling for pre-treatment covariates only: lead source, customer
  segment, region, the quarter the lead was created, the deal-size band (a function of the
  segment) and the rep (rep fixed effects, which absorb rep skill).

The estimator lives in :mod:`~analytics.talk_tracks.estimator` (formula and references there),
the lead table in :mod:`~analytics.talk_tracks.leads` and the sentences in
:mod:`~analytics.talk_tracks.statements`. Leads whose propensity is outside
``[TRIM, 1 - TRIM]`` are dropped (the estimand is then the average effect over leads that
could plausibly have been treated either way; Crump et al. 2009). Uncertainty: a
rep-clustered bootstrap of the per-lead scores; p-values are Wald; q-values are
Benjamini-Hochberg across the reported tags. docs/methods/talk-tracks.md states the causal
assumptions and their limits.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression

from analytics.access import Scope
from analytics.filters import Filters
from analytics.findings import Finding
from analytics.stats import benjamini_hochberg, safe_ratio, wilson
from analytics.store import Store
from analytics.talk_tracks.estimator import (
    N_BOOT,
    N_FOLDS,
    SEED,
    TRIM,
    AipwEstimate,
    aipw,
    cells_of,
    one_hot,
    standardised_difference,
)
from analytics.talk_tracks.leads import closed_leads, lead_table
from analytics.talk_tracks.statements import headline, hidden, no_closed_leads, no_tags
from analytics.talk_tracks.statements import sample_note as _sample_note

#: A tag is reported only with at least this many treated and this many untreated leads.
MIN_GROUP_LEADS = 100
#: ... and with leads from at least this many reps (the bootstrap resamples reps).
MIN_REPS = 10
#: Covariates of the nuisance models (one-hot each). All are known before any call.
COVARIATES = ("source", "segment", "region_id", "created_quarter", "deal_size_band", "rep_id")
#: Covariates shown in the balance table (rep_id is summarised by rep_skill_proxy).
BALANCE_COVARIATES = ("source", "segment", "region_id", "created_quarter", "deal_size_band")
#: Propensity histogram bins for the overlap plot.
OVERLAP_BINS = 20
#: Share of the period's leads still open above which the page warns.
OPEN_SHARE_WARNING = 0.2
#: Most closed leads one analysis fits its models on. A larger selection is analysed on a
#: random sample of this size (each lead kept with the same probability, decided by a hash of
#: its id, so the sample is the same on every run and independent of talk tracks and outcome).
#: Memory grows with the leads analysed: 1.1M leads take ~2.4 GB, 9.4M did not fit in 12 GB.
MAX_LEADS = 1_500_000


@dataclass(frozen=True)
class TalkTrackImpact:
    """Everything the page and the CLI show for one selection.

    Attributes
    ----------
    effects
        One row per tag (see :data:`EFFECT_COLUMNS`), ordered by tag.
    balance
        One row per tag x covariate level: ``tag, covariate, level, mean_treated,
        mean_control, smd_before, smd_after`` (standardised mean differences before and
        after inverse-propensity weighting, on the kept leads for ``after``).
    overlap
        One row per tag x propensity bin x group: ``tag, bin_lo, bin_hi, group``
        (``treated`` / ``control``), ``leads``.
    findings
        One headline per tag, in the order of ``effects``.
    n_leads, n_open
        Closed leads analysed; leads created in the period that are still open (excluded).
    n_closed
        Closed leads in the selection: ``n_leads`` unless the selection had more than
        ``max_leads`` and a random sample of them was analysed (see :attr:`sampled`).
    message
        Set when nothing could be analysed (no closed leads, no tags); the reason.
    """

    effects: pd.DataFrame
    balance: pd.DataFrame
    overlap: pd.DataFrame
    findings: tuple[Finding, ...]
    n_leads: int
    n_open: int
    message: Finding | None = None
    n_closed: int = -1

    def __post_init__(self) -> None:
        if self.n_closed < 0:  # not sampled: every closed lead was analysed
            object.__setattr__(self, "n_closed", self.n_leads)

    @property
    def sampled(self) -> bool:
        """True when the estimates come from a random sample of the selection's closed leads."""
        return self.n_leads < self.n_closed

    @property
    def open_share(self) -> float:
        """Share of the period's leads still open (NaN without leads)."""
        return float(safe_ratio(self.n_open, self.n_open + self.n_closed))


#: Columns of :attr:`TalkTrackImpact.effects` (and of the CLI output), in order.
EFFECT_COLUMNS = (
    "tag",
    "n_treated",
    "n_control",
    "raw_rate_treated",
    "raw_rate_control",
    "adj_diff",
    "adj_diff_lo",
    "adj_diff_hi",
    "adj_lift",
    "adj_lift_lo",
    "adj_lift_hi",
    "q_value",
    "reported",
    "raw_rate_treated_lo",
    "raw_rate_treated_hi",
    "raw_rate_control_lo",
    "raw_rate_control_hi",
    "raw_diff",
    "raw_lift",
    "adj_rate_treated",
    "adj_rate_control",
    "p_value",
    "n_trimmed",
    "n_reps",
    "reason",
)


def _raw(t: np.ndarray, y: np.ndarray) -> dict[str, float]:
    n1, n0 = int(t.sum()), int((~t).sum())
    k1, k0 = int(y[t].sum()), int(y[~t].sum())
    lo1, hi1 = wilson(k1, n1)
    lo0, hi0 = wilson(k0, n0)
    r1, r0 = float(safe_ratio(k1, n1)), float(safe_ratio(k0, n0))
    return {
        "n_treated": n1,
        "n_control": n0,
        "raw_rate_treated": r1,
        "raw_rate_control": r0,
        "raw_rate_treated_lo": float(lo1),
        "raw_rate_treated_hi": float(hi1),
        "raw_rate_control_lo": float(lo0),
        "raw_rate_control_hi": float(hi0),
        "raw_diff": r1 - r0,
        "raw_lift": float(safe_ratio(r1, r0)) - 1,
    }


def _balance_rows(
    tag: str, xb: sp.csr_matrix, labels: list[tuple[str, str]], proxy: np.ndarray, t: np.ndarray, est: AipwEstimate
) -> list[dict[str, object]]:
    """SMD before (all leads, unweighted) and after (kept leads, IPW weights) for each covariate level.

    ``xb`` is the one-hot design of :data:`BALANCE_COVARIATES` (``labels`` names its
    columns); ``proxy`` the rep-skill proxy. The denominator is the pooled unweighted SD
    of the two groups before weighting (Austin 2009), so before and after compare.
    """
    e, kept = est.propensity, est.kept
    t1, t0 = t.astype(float), (~t).astype(float)
    w = np.where(t, 1 / e, 1 / (1 - e)) * kept
    w1, w0 = w * t1, w * t0
    mean1, mean0 = (xb.T @ t1) / t1.sum(), (xb.T @ t0) / t0.sum()
    scale = np.sqrt((mean1 * (1 - mean1) + mean0 * (1 - mean0)) / 2)
    after1 = (xb.T @ w1) / w1.sum() if w1.sum() > 0 else np.full(len(labels), np.nan)
    after0 = (xb.T @ w0) / w0.sum() if w0.sum() > 0 else np.full(len(labels), np.nan)
    v = np.where(np.isnan(proxy), np.nanmean(proxy) if (~np.isnan(proxy)).any() else 0.0, proxy)
    p_scale = math.sqrt((v[t].var() + v[~t].var()) / 2)
    rows = []
    for j, (cov, level) in enumerate(labels):
        rows.append(
            {
                "tag": tag,
                "covariate": cov,
                "level": level,
                "mean_treated": float(mean1[j]),
                "mean_control": float(mean0[j]),
                "smd_before": float(safe_ratio(mean1[j] - mean0[j], scale[j])),
                "smd_after": float(safe_ratio(after1[j] - after0[j], scale[j])),
            }
        )
    rows.append(
        {
            "tag": tag,
            "covariate": "rep_skill_proxy",
            "level": "",
            "mean_treated": float(v[t].mean()),
            "mean_control": float(v[~t].mean()),
            "smd_before": standardised_difference(v, t, scale=p_scale),
            "smd_after": standardised_difference(v[kept], t[kept], w[kept], scale=p_scale),
        }
    )
    return rows


def _overlap_rows(tag: str, t: np.ndarray, e: np.ndarray) -> list[dict[str, object]]:
    edges = np.linspace(0, 1, OVERLAP_BINS + 1)
    rows = []
    for group, mask in (("treated", t), ("control", ~t)):
        counts, _ = np.histogram(e[mask], bins=edges)
        rows += [
            {
                "tag": tag,
                "bin_lo": float(edges[i]),
                "bin_hi": float(edges[i + 1]),
                "group": group,
                "leads": int(counts[i]),
            }
            for i in range(OVERLAP_BINS)
        ]
    return rows


def _adjusted_columns(est: AipwEstimate | None) -> dict[str, float | int]:
    """The adjusted columns of one effects row (NaN for a hidden tag)."""
    if est is None:
        nan = float("nan")
        values: tuple[float, ...] = (nan,) * 10
    else:
        values = (
            est.diff,
            est.diff_lo,
            est.diff_hi,
            est.lift,
            est.lift_lo,
            est.lift_hi,
            est.mu1,
            est.mu0,
            est.p_value,
            est.n_trimmed,
        )
    keys = (
        "adj_diff",
        "adj_diff_lo",
        "adj_diff_hi",
        "adj_lift",
        "adj_lift_lo",
        "adj_lift_hi",
        "adj_rate_treated",
        "adj_rate_control",
        "p_value",
        "n_trimmed",
    )
    out: dict[str, float | int] = dict(zip(keys, values, strict=True))
    out["n_trimmed"] = 0 if est is None else int(est.n_trimmed)
    return out


def impact(
    store: Store,
    filters: Filters,
    scope: Scope,
    *,
    min_group: int = MIN_GROUP_LEADS,
    trim: float = TRIM,
    folds: int = N_FOLDS,
    n_boot: int = N_BOOT,
    seed: int = SEED,
    max_leads: int | None = None,
) -> TalkTrackImpact:
    """Raw and adjusted conversion effect of every talk-track tag (leads created in the period).

    Parameters
    ----------
    store, filters, scope
        The store, the selection (date range on ``created_at``, region / team / segment)
        and the access scope (leads of reps in scope).
    min_group
        Minimum treated and untreated leads for a tag to be reported (default 100).
    trim, folds, n_boot, seed
        Propensity trimming bound, cross-fitting folds, bootstrap draws, random seed.
    max_leads
        With more closed leads than this in the selection, a random sample of about this
        many is analysed (the result says so). ``None``: :data:`MAX_LEADS`; ``0``: all leads.

    Returns
    -------
    TalkTrackImpact
        Effects per tag (:data:`EFFECT_COLUMNS`), balance and overlap diagnostics and one
        headline per tag. The module docstring gives the estimator.
    """
    if not 0 <= trim < 0.5:
        raise ValueError(f"trim {trim} must be at least 0 and below 0.5.")
    if folds < 2:
        raise ValueError(f"folds {folds} must be at least 2.")
    limit = MAX_LEADS if max_leads is None else max_leads
    if limit < 0:
        raise ValueError(f"max_leads {max_leads} must be 0 (all leads) or more.")
    n_closed = closed_leads(store, filters, scope)
    share = 1.0 if limit == 0 or n_closed <= limit else limit / n_closed
    frame, tags, n_open = lead_table(store, filters, scope, sample_share=share)
    empty = TalkTrackImpact(
        effects=pd.DataFrame(columns=list(EFFECT_COLUMNS)),
        balance=pd.DataFrame(
            columns=["tag", "covariate", "level", "mean_treated", "mean_control", "smd_before", "smd_after"]
        ),
        overlap=pd.DataFrame(columns=["tag", "bin_lo", "bin_hi", "group", "leads"]),
        findings=(),
        n_leads=len(frame),
        n_open=n_open,
        n_closed=n_closed if share < 1 else len(frame),
    )
    if frame.empty:
        return replace(
            empty,
            message=no_closed_leads(),
        )
    if not tags:
        return replace(
            empty,
            message=no_tags(len(frame)),
        )
    y = frame["converted"].to_numpy(dtype=bool)
    rep_codes, rep_ids = pd.factorize(frame["rep_id"])
    # rep's conversion on their OTHER leads: a diagnostic of rep skill for the balance table only
    wins = np.bincount(rep_codes, weights=y.astype(float))
    cnt = np.bincount(rep_codes).astype(float)
    frame["rep_skill_proxy"] = safe_ratio(wins[rep_codes] - y, cnt[rep_codes] - 1)
    x, _ = one_hot(frame, COVARIATES)
    cells = cells_of(x)
    warm: dict[str, LogisticRegression | None] = {}
    xb, labels = one_hot(frame, BALANCE_COVARIATES)
    proxy = frame["rep_skill_proxy"].to_numpy(dtype=float)
    n_reps = len(rep_ids)
    rows, balance, overlap = [], [], []
    findings: list[Finding | None] = []
    for i, tag in enumerate(tags):
        t = frame[f"t_{i}"].to_numpy(dtype=bool)
        raw = _raw(t, y)
        reason, note = hidden(tag, raw, n_reps, min_group, MIN_REPS)
        row: dict[str, object] = {"tag": tag, **raw, "n_reps": n_reps, "reason": reason, "reported": not reason}
        if reason:
            row.update(_adjusted_columns(None))
            findings.append(note)
        else:
            est = aipw(x, t, y, rep_codes, folds=folds, trim=trim, n_boot=n_boot, seed=seed, cells=cells, warm=warm)
            row.update(_adjusted_columns(est))
            balance += _balance_rows(tag, xb, labels, proxy, t, est)
            overlap += _overlap_rows(tag, t, est.propensity)
            findings.append(None)  # filled once the q-values are known
        rows.append(row)
    effects = pd.DataFrame(rows)
    effects["q_value"] = benjamini_hochberg(effects["p_value"].to_numpy(dtype=float))
    effects = effects[list(EFFECT_COLUMNS)]
    done = [headline(r) if r["reported"] else f for (_, r), f in zip(effects.iterrows(), findings, strict=True)]
    return TalkTrackImpact(
        effects=effects,
        balance=pd.DataFrame(balance, columns=empty.balance.columns),
        overlap=pd.DataFrame(overlap, columns=empty.overlap.columns),
        findings=tuple(f for f in done if f is not None),
        n_leads=len(frame),
        n_open=n_open,
        n_closed=empty.n_closed,
    )


def sample_note(result: TalkTrackImpact) -> Finding:
    """The sentence that says a result comes from a random sample of the selection's leads."""
    return _sample_note(result.n_closed, result.n_leads)
