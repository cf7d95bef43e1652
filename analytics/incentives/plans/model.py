"""Incentive plans as TOML files: the model, validation and round-trip serialisation.

A plan (``data/plans/*.toml``) holds the payout rules of the incentive engine
(:mod:`analytics.incentives`) and the scorecard configuration (:mod:`analytics.scorecard`):
dimension and metric weights per role and how totals become grades. Every plan is checked
when it is built; a problem raises :class:`PlanError` with one sentence that names the
field in TOML notation (``commission.tiers[2].from``) and says how to fix it.

A :class:`Plan` is a frozen, hashable dataclass (mappings are tuples of pairs), so a page
can pass it to a cached analysis. :func:`to_toml` writes a plan back as TOML text that
:func:`load_plan` reads into an equal plan; :func:`plan_hash` fingerprints that text.

The semantics of every field are in docs/methods/incentives.md and docs/methods/scorecard.md.
"""

from __future__ import annotations

import hashlib
import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import pandas as pd

from analytics.incentives.plan_messages import plan_name
from analytics.store import Store

#: Folder of the bundled example plans.
PLANS_DIR = Path(__file__).resolve().parents[2] / "data" / "plans"
#: The reference plan of PRODUCT.md part 5.
REFERENCE_PLAN = PLANS_DIR / "reference.toml"

DEAL_TYPES = ("new", "renewal", "upsell")
COMMISSION_MODES = ("marginal", "retroactive")
OVER_BUDGET_MODES = ("flag", "scale")
NORMALISE_METHODS = ("percentile", "zscore")
GRADING_METHODS = ("thresholds", "forced")
DIMENSIONS = ("results", "behaviour", "collaboration")
#: Grades from best to worst.
GRADES = ("A+", "A", "B", "C", "D")
#: Grades that need a minimum score under threshold grading (D is everything below C).
THRESHOLD_GRADES = ("A+", "A", "B", "C")
#: Tolerance for "weights sum to 1".
WEIGHT_TOLERANCE = 1e-6


@dataclass(frozen=True)
class MetricInfo:
    """One scorecard metric: its dimension, direction and definition (docs/methods/scorecard.md)."""

    dimension: str
    higher_is_better: bool
    definition: str


#: Every metric a plan may weight. Definitions are computed in analytics.scorecard.
METRICS: dict[str, MetricInfo] = {
    "attainment": MetricInfo("results", True, "won deal amount signed in the quarter / quarterly target"),
    "gmv": MetricInfo("results", True, "won deal amount signed in the quarter, CNY (GMV contribution)"),
    "close_rate": MetricInfo("results", True, "won / closed among the rep's leads closed in the quarter"),
    "clv_proxy": MetricInfo(
        "results",
        True,
        "mean cumulative gross profit, to the quarter end, of the accounts "
        "the rep signed a deal with in the quarter, CNY",
    ),
    "renewal_rate": MetricInfo(
        "results",
        True,
        "accounts renewed / accounts up for renewal (signed with the rep in the same quarter a year earlier)",
    ),
    "referral_rate": MetricInfo("results", True, "share of the rep's won leads that came from referrals"),
    "strategic_project_score": MetricInfo("results", True, "strategic-project contribution, 0-10 (key accounts)"),
    "needs_discovery": MetricInfo("behaviour", True, "mean needs-discovery score of the rep's calls, 0-100"),
    "call_efficiency": MetricInfo("behaviour", True, "won leads closed in the quarter per 100 calls made"),
    "solution_innovation": MetricInfo("behaviour", True, "innovation of proposed solutions, 1-5"),
    "complaint_rate": MetricInfo("behaviour", False, "customer complaints per 100 accounts"),
    "approval_error_rate": MetricInfo("behaviour", False, "contract-approval errors per 100 contracts"),
    "nps": MetricInfo("behaviour", True, "net promoter score of the rep's accounts' responses in the quarter"),
    "cross_dept_response_hours": MetricInfo("collaboration", False, "median hours to answer other departments"),
    "mentoring_hours": MetricInfo("collaboration", True, "hours of mentoring given to new hires"),
    "peer_review_score": MetricInfo(
        "collaboration", True, "360 peer review score, 1-5, counted only with a concrete case as evidence"
    ),
    "collaboration_score": MetricInfo("collaboration", True, "composite collaboration score, 0-100"),
}


class PlanError(ValueError):
    """An invalid plan; the message is one sentence naming the field (TOML notation)."""


def _fail(path: str, problem: str) -> PlanError:
    return PlanError(f"Plan field {path}: {problem}")


Pairs = tuple[tuple[str, float], ...]


def _pairs(mapping: Mapping[str, float]) -> Pairs:
    return tuple((str(k), float(v)) for k, v in mapping.items())


# -- the model -------------------------------------------------------------------------
@dataclass(frozen=True)
class Tier:
    """One commission tier: ``rate`` applies from attainment ``start`` (TOML key ``from``) upwards."""

    start: float
    rate: float


@dataclass(frozen=True)
class BaseBonus:
    """Base layer: attainment >= ``threshold`` pays ``salary_share`` x monthly salary, once per quarter."""

    threshold: float = 0.80
    salary_share: float = 0.10


@dataclass(frozen=True)
class Commission:
    """Commission tiers on the won amount.

    ``marginal``: each tier's rate applies to the part of the won amount inside its band of
    attainment; ``retroactive``: the whole won amount earns the rate of the highest tier
    reached. ``threshold``: no commission below this attainment. ``cap_attainment``: won
    amount above this multiple of target earns nothing. ``cap_amount``: maximum commission
    per rep per quarter, CNY.
    """

    tiers: tuple[Tier, ...] = (Tier(0.0, 0.012), Tier(1.2, 0.018))
    mode: str = "marginal"
    threshold: float = 0.0
    cap_attainment: float | None = None
    cap_amount: float | None = None


@dataclass(frozen=True)
class Innovation:
    """Innovation layer: ``excess_profit_share`` of the quarter's excess gross profit, split by points."""

    excess_profit_share: float = 0.10


@dataclass(frozen=True)
class TeamPool:
    """Team composite: each team's pool = ``pool_per_member`` x members (x (1 + uplift) for top teams).

    ``equal_share`` of the pool is split equally, the rest in proportion to each member's won
    amount. Teams in the top ``collaboration_top_share`` by mean collaboration score get their
    pool raised by ``collaboration_uplift``.
    """

    pool_per_member: float = 3000.0
    equal_share: float = 0.70
    collaboration_top_share: float = 0.20
    collaboration_uplift: float = 0.05


@dataclass(frozen=True)
class Budget:
    """Incentive budget: a fixed ``base_amount`` (CNY) or ``base_share_of_target`` x total quarterly target.

    When company attainment reaches ``release_attainment`` an extra ``release_share`` of the
    base budget is released. ``over_budget``: ``flag`` (pay the rules, flag the overrun) or
    ``scale`` (scale every payout down pro rata to the available budget).
    """

    base_amount: float | None = None
    base_share_of_target: float | None = 0.03
    release_attainment: float = 1.50
    release_share: float = 0.10
    over_budget: str = "flag"


@dataclass(frozen=True)
class RoleWeights:
    """Scorecard weights: per dimension, and per metric inside each dimension."""

    dimensions: Pairs
    metrics: tuple[tuple[str, Pairs], ...]

    def dimension_weights(self) -> dict[str, float]:
        """Dimension -> weight (every dimension present; missing ones are 0)."""
        out = dict.fromkeys(DIMENSIONS, 0.0)
        out.update(dict(self.dimensions))
        return out

    def metric_weights(self, dimension: str) -> dict[str, float]:
        """Metric -> weight inside one dimension."""
        return dict(dict(self.metrics).get(dimension, ()))


@dataclass(frozen=True)
class ScorecardConfig:
    """How metric scores become dimension scores, a total and a grade.

    ``normalise``: ``percentile`` (mid-rank percentile within role and quarter, 0-100) or
    ``zscore`` (50 + 10 z within role and quarter, clipped to 0-100). ``grading``:
    ``thresholds`` (minimum total score per grade) or ``forced`` (share of reps per grade,
    by rank within role). ``roles`` override the default weights per role.
    """

    default: RoleWeights
    roles: tuple[tuple[str, RoleWeights], ...] = ()
    normalise: str = "percentile"
    grading: str = "thresholds"
    thresholds: Pairs = (("A+", 80.0), ("A", 65.0), ("B", 45.0), ("C", 30.0))
    forced: Pairs = (("A+", 0.05), ("A", 0.20), ("B", 0.45), ("C", 0.20), ("D", 0.10))

    def weights_for(self, role: str) -> RoleWeights:
        """The effective weights of ``role`` (its override, else the default)."""
        return dict(self.roles).get(role, self.default)


@dataclass(frozen=True)
class Plan:
    """A complete incentive plan: payout rules plus scorecard. Validated on construction."""

    name: str
    scorecard: ScorecardConfig
    version: str = "1"
    description: str = ""
    deal_types: tuple[str, ...] = DEAL_TYPES
    base_bonus: BaseBonus = field(default_factory=BaseBonus)
    commission: Commission = field(default_factory=Commission)
    innovation: Innovation = field(default_factory=Innovation)
    team: TeamPool = field(default_factory=TeamPool)
    budget: Budget = field(default_factory=Budget)

    def __post_init__(self) -> None:
        validate(self)

    @property
    def accelerator_start(self) -> float:
        """Attainment where the second commission tier starts (NaN with a single tier)."""
        return self.commission.tiers[1].start if len(self.commission.tiers) > 1 else math.nan


# -- validation ------------------------------------------------------------------------
def _check_number(
    path: str, value: float | None, *, low: float | None = 0.0, high: float | None = None, low_open: bool = False
) -> None:
    if value is None:
        return
    if not isinstance(value, int | float) or isinstance(value, bool) or math.isnan(float(value)):
        raise _fail(path, f"must be a number, not {value!r}.")
    if low is not None and (value < low or (low_open and value == low)):
        if low == 0:
            word = "positive" if low_open else "zero or more (negative values are not allowed)"
            raise _fail(path, f"must be {word}, not {value:g}.")
        raise _fail(path, f"must be at least {low:g}, not {value:g}.")
    if high is not None and value > high:
        raise _fail(path, f"must be at most {high:g}, not {value:g}.")


def _check_weights(prefix: str, weights: RoleWeights) -> None:
    dims = dict(weights.dimensions)
    for dim, w in dims.items():
        if dim not in DIMENSIONS:
            raise _fail(
                f"{prefix}.dimensions.{dim}", f"'{dim}' is not a scorecard dimension; use {', '.join(DIMENSIONS)}."
            )
        _check_number(f"{prefix}.dimensions.{dim}", w)
    total = sum(dims.values())
    if abs(total - 1.0) > WEIGHT_TOLERANCE:
        raise _fail(f"{prefix}.dimensions", f"the dimension weights sum to {total:g}; they must sum to 1.")
    for dim, metric_pairs in weights.metrics:
        if dim not in DIMENSIONS:
            raise _fail(
                f"{prefix}.metrics.{dim}", f"'{dim}' is not a scorecard dimension; use {', '.join(DIMENSIONS)}."
            )
        for metric, w in metric_pairs:
            path = f"{prefix}.metrics.{dim}.{metric}"
            info = METRICS.get(metric)
            if info is None:
                raise _fail(path, f"'{metric}' is not a known metric; known metrics are {', '.join(sorted(METRICS))}.")
            if info.dimension != dim:
                raise _fail(
                    path, f"{metric} is a {info.dimension} metric; move it to [{prefix}.metrics.{info.dimension}]."
                )
            _check_number(path, w)
        m_total = sum(w for _, w in metric_pairs)
        if metric_pairs and abs(m_total - 1.0) > WEIGHT_TOLERANCE:
            raise _fail(
                f"{prefix}.metrics.{dim}", f"the metric weights inside {dim} sum to {m_total:g}; they must sum to 1."
            )
    for dim in DIMENSIONS:
        if dims.get(dim, 0.0) > 0 and not weights.metric_weights(dim):
            raise _fail(
                f"{prefix}.metrics.{dim}",
                f"{dim} has weight {dims[dim]:g} but no metrics; give it metric weights or set its weight to 0.",
            )


def _check_scorecard(sc: ScorecardConfig) -> None:
    if sc.normalise not in NORMALISE_METHODS:
        raise _fail(
            "scorecard.normalise", f"'{sc.normalise}' is not a method; use one of {', '.join(NORMALISE_METHODS)}."
        )
    if sc.grading not in GRADING_METHODS:
        raise _fail("scorecard.grading", f"'{sc.grading}' is not a method; use one of {', '.join(GRADING_METHODS)}.")
    th = dict(sc.thresholds)
    if set(th) != set(THRESHOLD_GRADES):
        raise _fail(
            "scorecard.thresholds",
            f"give a minimum score for exactly the grades {', '.join(THRESHOLD_GRADES)} "
            f"(D is everything below C); found {', '.join(th) or 'none'}.",
        )
    prev_grade, prev = None, math.inf
    for g in THRESHOLD_GRADES:
        _check_number(f'scorecard.thresholds."{g}"', th[g], high=100.0)
        if th[g] >= prev:
            raise _fail(
                f'scorecard.thresholds."{g}"',
                f"the minimum score of {g} ({th[g]:g}) must be below that of {prev_grade} ({prev:g}).",
            )
        prev_grade, prev = g, th[g]
    fd = dict(sc.forced)
    if set(fd) != set(GRADES):
        raise _fail(
            "scorecard.forced",
            f"give a share for exactly the grades {', '.join(GRADES)}; found {', '.join(fd) or 'none'}.",
        )
    for g in GRADES:
        _check_number(f'scorecard.forced."{g}"', fd[g], high=1.0)
    total = sum(fd.values())
    if abs(total - 1.0) > WEIGHT_TOLERANCE:
        raise _fail("scorecard.forced", f"the grade shares sum to {total:g}; they must sum to 1.")
    _check_weights("scorecard", sc.default)
    for role, weights in sc.roles:
        _check_weights(f"scorecard.roles.{role}", weights)


def validate(plan: Plan) -> None:
    """Raise :class:`PlanError` (one sentence naming the field) if ``plan`` is not valid."""
    if not isinstance(plan.name, str) or not plan.name.strip():
        raise _fail("plan.name", "give the plan a non-empty name.")
    if not plan.deal_types:
        raise _fail("attainment.deal_types", f"list at least one deal type ({', '.join(DEAL_TYPES)}).")
    for dt in plan.deal_types:
        if dt not in DEAL_TYPES:
            raise _fail("attainment.deal_types", f"'{dt}' is not a deal type; use {', '.join(DEAL_TYPES)}.")
    b = plan.base_bonus
    _check_number("base_bonus.threshold", b.threshold)
    _check_number("base_bonus.salary_share", b.salary_share)
    c = plan.commission
    if c.mode not in COMMISSION_MODES:
        raise _fail("commission.mode", f"'{c.mode}' is not a mode; use {' or '.join(COMMISSION_MODES)}.")
    if not c.tiers:
        raise _fail("commission.tiers", "give at least one tier with 'from' and 'rate'.")
    for i, tier in enumerate(c.tiers):
        _check_number(f"commission.tiers[{i + 1}].from", tier.start)
        _check_number(f"commission.tiers[{i + 1}].rate", tier.rate)
        if i and tier.start <= c.tiers[i - 1].start:
            raise _fail(
                f"commission.tiers[{i + 1}].from",
                f"tier breaks must increase, but {tier.start:g} follows {c.tiers[i - 1].start:g}; "
                "order the tiers by their 'from' attainment.",
            )
    _check_number("commission.threshold", c.threshold)
    _check_number("commission.cap_attainment", c.cap_attainment, low_open=True)
    _check_number("commission.cap_amount", c.cap_amount)
    _check_number("innovation.excess_profit_share", plan.innovation.excess_profit_share, high=1.0)
    t = plan.team
    _check_number("team.pool_per_member", t.pool_per_member)
    _check_number("team.equal_share", t.equal_share, high=1.0)
    _check_number("team.collaboration_top_share", t.collaboration_top_share, high=1.0)
    _check_number("team.collaboration_uplift", t.collaboration_uplift)
    bu = plan.budget
    if (bu.base_amount is None) == (bu.base_share_of_target is None):
        raise _fail(
            "budget",
            "give exactly one of base_amount (CNY) or base_share_of_target (share of the quarter's total target).",
        )
    _check_number("budget.base_amount", bu.base_amount)
    _check_number("budget.base_share_of_target", bu.base_share_of_target)
    _check_number("budget.release_attainment", bu.release_attainment)
    _check_number("budget.release_share", bu.release_share)
    if bu.over_budget not in OVER_BUDGET_MODES:
        raise _fail("budget.over_budget", f"'{bu.over_budget}' is not a mode; use {' or '.join(OVER_BUDGET_MODES)}.")
    _check_scorecard(plan.scorecard)


# -- TOML -> Plan ----------------------------------------------------------------------
_SECTIONS = ("plan", "attainment", "base_bonus", "commission", "innovation", "team", "budget", "scorecard")


def _table(data: Mapping[str, Any], key: str, path: str, allowed: tuple[str, ...]) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise _fail(path, f"must be a table ([{path}]), not {value!r}.")
    for k in value:
        if k not in allowed:
            raise _fail(f"{path}.{k}", f"'{k}' is not a field of [{path}]; the fields are {', '.join(allowed)}.")
    return value


def _num(table: Mapping[str, Any], key: str, path: str, default: float | None) -> float | None:
    if key not in table:
        return default
    value = table[key]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _fail(path, f"must be a number, not {value!r}.")
    return float(value)


def _str(table: Mapping[str, Any], key: str, path: str, default: str) -> str:
    value = table.get(key, default)
    if not isinstance(value, str):
        raise _fail(path, f"must be text in quotes, not {value!r}.")
    return value


def _weights_table(value: Any, path: str) -> Pairs:
    if not isinstance(value, dict):
        raise _fail(path, f"must be a table of name = weight, not {value!r}.")
    out = []
    for k, v in value.items():
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise _fail(f"{path}.{k}", f"must be a number, not {v!r}.")
        out.append((str(k), float(v)))
    return tuple(out)


def _role_weights(data: Mapping[str, Any], path: str, inherit: RoleWeights | None) -> RoleWeights:
    table = _table({"x": data}, "x", path, ("dimensions", "metrics"))
    dims = _weights_table(table["dimensions"], f"{path}.dimensions") if "dimensions" in table else None
    metrics_raw = table.get("metrics", {})
    if not isinstance(metrics_raw, dict):
        raise _fail(f"{path}.metrics", f"must be a table of dimensions, not {metrics_raw!r}.")
    metrics = {dim: _weights_table(v, f"{path}.metrics.{dim}") for dim, v in metrics_raw.items()}
    if inherit is not None:
        dims = dims if dims is not None else inherit.dimensions
        merged = dict(inherit.metrics)
        merged.update(metrics)
        metrics = merged
    if dims is None:
        raise _fail(f"{path}.dimensions", "give the weights of results, behaviour and collaboration.")
    ordered = tuple((d, metrics[d]) for d in DIMENSIONS if d in metrics) + tuple(
        (d, m) for d, m in metrics.items() if d not in DIMENSIONS
    )
    return RoleWeights(dimensions=dims, metrics=ordered)


def plan_from_dict(data: Mapping[str, Any]) -> Plan:
    """Build and validate a :class:`Plan` from parsed TOML (a nested dict)."""
    for k in data:
        if k not in _SECTIONS:
            raise _fail(k, f"'{k}' is not a plan section; the sections are {', '.join(_SECTIONS)}.")
    meta = _table(data, "plan", "plan", ("name", "version", "description"))
    att = _table(data, "attainment", "attainment", ("deal_types",))
    deal_types = att.get("deal_types", list(DEAL_TYPES))
    if not isinstance(deal_types, list) or not all(isinstance(d, str) for d in deal_types):
        raise _fail("attainment.deal_types", f"must be a list of deal types, not {deal_types!r}.")
    bb = _table(data, "base_bonus", "base_bonus", ("threshold", "salary_share"))
    cm = _table(data, "commission", "commission", ("mode", "threshold", "cap_attainment", "cap_amount", "tiers"))
    raw_tiers = cm.get("tiers", [{"from": 0.0, "rate": 0.012}, {"from": 1.2, "rate": 0.018}])
    if not isinstance(raw_tiers, list):
        raise _fail("commission.tiers", "must be a list of [[commission.tiers]] tables.")
    tiers = []
    for i, raw in enumerate(raw_tiers):
        path = f"commission.tiers[{i + 1}]"
        tab = _table({"t": raw}, "t", path, ("from", "rate")) if isinstance(raw, dict) else None
        if tab is None or "from" not in tab or "rate" not in tab:
            raise _fail(path, "give both 'from' (attainment where the tier starts, e.g. 1.2) and 'rate'.")
        tiers.append(Tier(_num(tab, "from", f"{path}.from", 0.0), _num(tab, "rate", f"{path}.rate", 0.0)))  # type: ignore[arg-type]
    inn = _table(data, "innovation", "innovation", ("excess_profit_share",))
    tm = _table(
        data, "team", "team", ("pool_per_member", "equal_share", "collaboration_top_share", "collaboration_uplift")
    )
    bu = _table(
        data,
        "budget",
        "budget",
        ("base_amount", "base_share_of_target", "release_attainment", "release_share", "over_budget"),
    )
    sc = _table(
        data,
        "scorecard",
        "scorecard",
        ("normalise", "grading", "thresholds", "forced", "dimensions", "metrics", "roles"),
    )
    if "dimensions" in sc or "metrics" in sc:
        default = _role_weights({k: sc[k] for k in ("dimensions", "metrics") if k in sc}, "scorecard", None)
        roles_raw = sc.get("roles", {})
        d_roles: tuple[tuple[str, RoleWeights], ...] = ()
    else:  # no weights: the reference plan's scorecard weights apply
        ref = reference_plan().scorecard
        default, roles_raw, d_roles = ref.default, sc.get("roles", {}), ref.roles
    if not isinstance(roles_raw, dict):
        raise _fail("scorecard.roles", "must be a table of [scorecard.roles.<role>] tables.")
    roles = tuple((str(r), _role_weights(v, f"scorecard.roles.{r}", default)) for r, v in roles_raw.items()) or d_roles
    d_sc = ScorecardConfig(default=default)
    scorecard = ScorecardConfig(
        default=default,
        roles=roles,
        normalise=_str(sc, "normalise", "scorecard.normalise", d_sc.normalise),
        grading=_str(sc, "grading", "scorecard.grading", d_sc.grading),
        thresholds=_weights_table(sc["thresholds"], "scorecard.thresholds") if "thresholds" in sc else d_sc.thresholds,
        forced=_weights_table(sc["forced"], "scorecard.forced") if "forced" in sc else d_sc.forced,
    )
    d_b, d_c, d_t, d_bu = BaseBonus(), Commission(), TeamPool(), Budget()
    has_amount = "base_amount" in bu
    return Plan(
        name=_str(meta, "name", "plan.name", ""),
        version=str(meta.get("version", "1")),
        description=_str(meta, "description", "plan.description", ""),
        deal_types=tuple(deal_types),
        base_bonus=BaseBonus(
            threshold=_num(bb, "threshold", "base_bonus.threshold", d_b.threshold),  # type: ignore[arg-type]
            salary_share=_num(bb, "salary_share", "base_bonus.salary_share", d_b.salary_share),  # type: ignore[arg-type]
        ),
        commission=Commission(
            tiers=tuple(tiers),
            mode=_str(cm, "mode", "commission.mode", d_c.mode),
            threshold=_num(cm, "threshold", "commission.threshold", 0.0),  # type: ignore[arg-type]
            cap_attainment=_num(cm, "cap_attainment", "commission.cap_attainment", None),
            cap_amount=_num(cm, "cap_amount", "commission.cap_amount", None),
        ),
        innovation=Innovation(
            excess_profit_share=_num(
                inn,
                "excess_profit_share",
                "innovation.excess_profit_share",  # type: ignore[arg-type]
                Innovation().excess_profit_share,
            ),
        ),
        team=TeamPool(
            pool_per_member=_num(tm, "pool_per_member", "team.pool_per_member", d_t.pool_per_member),  # type: ignore[arg-type]
            equal_share=_num(tm, "equal_share", "team.equal_share", d_t.equal_share),  # type: ignore[arg-type]
            collaboration_top_share=_num(
                tm,
                "collaboration_top_share",
                "team.collaboration_top_share",  # type: ignore[arg-type]
                d_t.collaboration_top_share,
            ),
            collaboration_uplift=_num(
                tm,
                "collaboration_uplift",
                "team.collaboration_uplift",  # type: ignore[arg-type]
                d_t.collaboration_uplift,
            ),
        ),
        budget=Budget(
            base_amount=_num(bu, "base_amount", "budget.base_amount", None),
            base_share_of_target=_num(
                bu,
                "base_share_of_target",
                "budget.base_share_of_target",
                None if has_amount else d_bu.base_share_of_target,
            ),
            release_attainment=_num(
                bu,
                "release_attainment",
                "budget.release_attainment",  # type: ignore[arg-type]
                d_bu.release_attainment,
            ),
            release_share=_num(bu, "release_share", "budget.release_share", d_bu.release_share),  # type: ignore[arg-type]
            over_budget=_str(bu, "over_budget", "budget.over_budget", d_bu.over_budget),
        ),
        scorecard=scorecard,
    )


def load_plan(path_or_text: str | Path) -> Plan:
    """Read a plan from a TOML file path or from TOML text; validate it.

    Raises
    ------
    PlanError
        The file is missing, the TOML does not parse, or a field is invalid; the message
        is one sentence naming the field.
    """
    text_like = "\n" in str(path_or_text) or ("=" in str(path_or_text) and not str(path_or_text).endswith(".toml"))
    if isinstance(path_or_text, Path) or not text_like:
        path = Path(path_or_text)
        if not path.exists():
            raise PlanError(
                f"The plan file {path} does not exist; pass the path of a .toml plan (examples are in {PLANS_DIR})."
            )
        text = path.read_text(encoding="utf-8")
    else:
        text = str(path_or_text)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PlanError(f"The plan is not valid TOML ({exc}); fix the syntax at that line.") from exc
    return plan_from_dict(data)


def reference_plan() -> Plan:
    """The bundled reference plan (data/plans/reference.toml)."""
    return load_plan(REFERENCE_PLAN)


def bundled_plans() -> dict[str, Path]:
    """File stem -> path of every bundled plan, reference first."""
    paths = sorted(PLANS_DIR.glob("*.toml"), key=lambda p: (p.stem != "reference", p.stem))
    return {p.stem: p for p in paths}


# -- Plan -> TOML ----------------------------------------------------------------------
def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        v = float(value)
        return repr(v) if not v.is_integer() or abs(v) >= 1e16 else f"{v:.1f}"
    if isinstance(value, str):
        escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
        return f'"{escaped}"'
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {value!r} as TOML")


def _toml_key(key: str) -> str:
    return key if key.replace("_", "").isalnum() and key.isascii() else _toml_value(key)


def _section(name: str, pairs: list[tuple[str, object]]) -> str:
    body = "".join(f"{_toml_key(k)} = {_toml_value(v)}\n" for k, v in pairs if v is not None)
    return f"[{name}]\n{body}\n"


def _weights_toml(prefix: str, weights: RoleWeights) -> str:
    out = _section(f"{prefix}.dimensions", list(weights.dimensions))
    for dim, pairs in weights.metrics:
        out += _section(f"{prefix}.metrics.{dim}", list(pairs))
    return out


def to_toml(plan: Plan) -> str:
    """The plan as TOML text; :func:`load_plan` reads it back into an equal plan."""
    c, sc = plan.commission, plan.scorecard
    out = _section("plan", [("name", plan.name), ("version", plan.version), ("description", plan.description)])
    out += _section("attainment", [("deal_types", list(plan.deal_types))])
    out += _section(
        "base_bonus", [("threshold", plan.base_bonus.threshold), ("salary_share", plan.base_bonus.salary_share)]
    )
    out += _section(
        "commission",
        [
            ("mode", c.mode),
            ("threshold", c.threshold),
            ("cap_attainment", c.cap_attainment),
            ("cap_amount", c.cap_amount),
        ],
    )
    for tier in c.tiers:
        out += f"[[commission.tiers]]\nfrom = {_toml_value(tier.start)}\nrate = {_toml_value(tier.rate)}\n\n"
    out += _section("innovation", [("excess_profit_share", plan.innovation.excess_profit_share)])
    out += _section("team", [(f.name, getattr(plan.team, f.name)) for f in fields(plan.team)])
    out += _section("budget", [(f.name, getattr(plan.budget, f.name)) for f in fields(plan.budget)])
    out += _section("scorecard", [("normalise", sc.normalise), ("grading", sc.grading)])
    out += _section("scorecard.thresholds", list(sc.thresholds))
    out += _section("scorecard.forced", list(sc.forced))
    out += _weights_toml("scorecard", sc.default)
    for role, weights in sc.roles:
        out += _weights_toml(f"scorecard.roles.{_toml_key(role)}", weights)
    return out.rstrip("\n") + "\n"


def plan_hash(plan: Plan) -> str:
    """A short fingerprint of the plan's canonical TOML text (sha256, first 12 hex digits)."""
    return hashlib.sha256(to_toml(plan).encode("utf-8")).hexdigest()[:12]


# -- edits for what-if sliders ---------------------------------------------------------
def rescale_weights(pairs: Pairs, name: str, weight: float) -> Pairs:
    """Set ``name`` to ``weight`` and rescale the others proportionally so the sum stays 1.

    When the others are all 0 they share the remainder equally. A name not yet present is
    added. ``weight`` must lie in [0, 1].
    """
    if not 0.0 <= weight <= 1.0:
        raise PlanError(f"The weight of {name} must lie between 0 and 1, not {weight:g}.")
    others = [(k, w) for k, w in pairs if k != name]
    rest = sum(w for _, w in others)
    remainder = 1.0 - weight
    if others and rest > 0:
        scaled = [(k, w / rest * remainder) for k, w in others]
    elif others:
        scaled = [(k, remainder / len(others)) for k, _ in others]
    else:
        scaled = []
    new = dict(pairs)
    new[name] = weight
    new.update(dict(scaled))
    return tuple((k, float(v)) for k, v in new.items())


def with_metric_weight(plan: Plan, metric: str, weight: float, *, role: str | None = None) -> Plan:
    """A copy of ``plan`` where ``metric`` weighs ``weight`` inside its dimension.

    The other metrics of that dimension are rescaled proportionally (their sum stays 1).
    ``role``: change only that role's weights (creating an override from the default);
    ``None`` changes the default and every role override that weights the dimension.
    """
    info = METRICS.get(metric)
    if info is None:
        raise PlanError(f"'{metric}' is not a known metric; known metrics are {', '.join(sorted(METRICS))}.")
    dim = info.dimension

    def edit(w: RoleWeights) -> RoleWeights:
        metrics = dict(w.metrics)
        metrics[dim] = rescale_weights(metrics.get(dim, ()), metric, weight)
        return replace(w, metrics=tuple(metrics.items()))

    sc = plan.scorecard
    if role is None:
        new_sc = replace(sc, default=edit(sc.default), roles=tuple((r, edit(w)) for r, w in sc.roles))
    else:
        roles = dict(sc.roles)
        roles[role] = edit(roles.get(role, sc.default))
        new_sc = replace(sc, roles=tuple(roles.items()))
    return replace(plan, scorecard=new_sc)


def with_dimension_weight(plan: Plan, dimension: str, weight: float, *, role: str | None = None) -> Plan:
    """A copy of ``plan`` where ``dimension`` weighs ``weight``; the other dimensions are rescaled."""
    if dimension not in DIMENSIONS:
        raise PlanError(f"'{dimension}' is not a scorecard dimension; use {', '.join(DIMENSIONS)}.")

    def edit(w: RoleWeights) -> RoleWeights:
        full = tuple(w.dimension_weights().items())
        return replace(w, dimensions=rescale_weights(full, dimension, weight))

    sc = plan.scorecard
    if role is None:
        new_sc = replace(sc, default=edit(sc.default), roles=tuple((r, edit(w)) for r, w in sc.roles))
    else:
        roles = dict(sc.roles)
        roles[role] = edit(roles.get(role, sc.default))
        new_sc = replace(sc, roles=tuple(roles.items()))
    return replace(plan, scorecard=new_sc)


# -- saved scenarios (table ``scenarios``, migration 003) --------------------------------
#: Longest scenario name accepted.
MAX_SCENARIO_NAME = 80
SCENARIO_COLUMNS = (
    "name",
    "revision",
    "plan_name",
    "plan_version",
    "plan_hash",
    "author",
    "created_at",
    "quarter",
    "note",
)


def save_scenario(
    store: Store, name: str, plan: Plan, author: str, *, quarter: str | None = None, note: str = ""
) -> int:
    """Save ``plan`` under ``name`` as a new revision (1, 2, ...); return the revision number.

    Raises
    ------
    PlanError
        The name is empty or longer than :data:`MAX_SCENARIO_NAME` characters.
    """
    clean = (name or "").strip()
    if not clean:
        raise PlanError("Give the scenario a name before saving it.")
    if len(clean) > MAX_SCENARIO_NAME:
        raise PlanError(f"The scenario name is {len(clean)} characters long; use at most {MAX_SCENARIO_NAME}.")
    text = to_toml(plan)
    with store.transaction() as cur:
        row = cur.execute("SELECT coalesce(max(revision), 0) FROM scenarios WHERE name = ?", [clean]).fetchone()
        revision = int(row[0]) + 1
        cur.execute(
            "INSERT INTO scenarios VALUES (?, ?, ?, ?, ?, ?, ?, now()::TIMESTAMP, ?, ?)",
            [clean, revision, plan.name, plan.version, plan_hash(plan), text, author or "unknown", quarter, note or ""],
        )
    return revision


def list_scenarios(store: Store) -> pd.DataFrame:
    """Every saved revision, newest first. Columns: :data:`SCENARIO_COLUMNS`."""
    return store.query(
        "SELECT name, revision, plan_name, plan_version, plan_hash, author, created_at, quarter, note"
        " FROM scenarios ORDER BY created_at DESC, name, revision DESC"
    )


def load_scenario(store: Store, name: str, revision: int | None = None) -> Plan:
    """The plan saved under ``name`` (its latest revision unless ``revision`` is given)."""
    row = store.query(
        "SELECT plan_toml FROM scenarios WHERE name = ? AND (? IS NULL OR revision = ?) ORDER BY revision DESC LIMIT 1",
        [name, revision, revision],
    )
    if row.empty:
        which = f"revision {revision} of " if revision is not None else ""
        raise PlanError(
            f"There is no saved scenario {which}'{name}'; list them with 'python -m analytics scenarios list'."
        )
    return load_plan(str(row["plan_toml"].iloc[0]))


def parse_scenario_ref(ref: str) -> tuple[str, int | None]:
    """``name`` or ``name@3`` -> (name, revision or None)."""
    name, sep, rev = ref.rpartition("@")
    if sep and rev.isdigit():
        return name, int(rev)
    return ref, None


def plan_choices(store: Store, *, lang: str = "en") -> dict[str, str]:
    """Every plan a page can start from: key -> label.

    Keys are ``file:<stem>`` for bundled plans (label: the plan's name, translated into
    ``lang``) and ``saved:<name>@<revision>`` for saved scenarios (label: ``name @revision``),
    newest first.
    """
    out = {}
    for stem, path in bundled_plans().items():
        try:
            out[f"file:{stem}"] = plan_name(load_plan(path).name, lang)
        except PlanError:
            continue
    for row in list_scenarios(store).itertuples():
        out[f"saved:{row.name}@{row.revision}"] = f"{row.name} @{row.revision}"
    return out


def load_choice(store: Store, key: str) -> Plan:
    """The plan behind a :func:`plan_choices` key."""
    kind, _, ref = key.partition(":")
    if kind == "file":
        path = bundled_plans().get(ref)
        if path is None:
            raise PlanError(f"There is no bundled plan '{ref}'; the plans are {', '.join(bundled_plans())}.")
        return load_plan(path)
    if kind == "saved":
        return load_scenario(store, *parse_scenario_ref(ref))
    raise PlanError(f"'{key}' is not a plan choice.")
