"""The plan model: the metric catalogue, the frozen plan dataclasses, validation and edits.

A :class:`Plan` holds the payout rules of the incentive engine (:mod:`analytics.incentives`)
and the scorecard configuration (:mod:`analytics.incentives.scorecard`): dimension and
metric weights per role and how totals become grades. Every plan is checked when it is
built (:func:`validate`); a problem raises :class:`PlanError` with one sentence that names
the field in TOML notation (``commission.tiers[2].from``) and says how to fix it.

A :class:`Plan` is a frozen, hashable dataclass (mappings are tuples of pairs), so a page
can pass it to a cached analysis. The edits at the end (:func:`with_metric_weight`,
:func:`with_dimension_weight`) return changed copies for what-if sliders.

The semantics of every field are in docs/methods/incentives.md and docs/methods/scorecard.md.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

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


#: Every metric a plan may weight. Definitions are computed in analytics.incentives.scorecard.
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
            "give exactly one of base_amount (a fixed amount of money) or base_share_of_target (share of the quarter's total target).",
        )
    _check_number("budget.base_amount", bu.base_amount)
    _check_number("budget.base_share_of_target", bu.base_share_of_target)
    _check_number("budget.release_attainment", bu.release_attainment)
    _check_number("budget.release_share", bu.release_share)
    if bu.over_budget not in OVER_BUDGET_MODES:
        raise _fail("budget.over_budget", f"'{bu.over_budget}' is not a mode; use {' or '.join(OVER_BUDGET_MODES)}.")
    _check_scorecard(plan.scorecard)


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
