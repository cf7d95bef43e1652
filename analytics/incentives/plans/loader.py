"""Plans as TOML files: parse and validate (:func:`load_plan`), write back (:func:`to_toml`).

:func:`to_toml` writes a plan as TOML text that :func:`load_plan` reads into an equal plan;
:func:`plan_hash` fingerprints that text. The bundled example plans live in
``data/plans/*.toml`` (:func:`bundled_plans`, :func:`reference_plan`).
"""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Mapping
from dataclasses import fields
from pathlib import Path
from typing import Any

from analytics.incentives.plans.model import (
    DEAL_TYPES,
    DIMENSIONS,
    BaseBonus,
    Budget,
    Commission,
    Innovation,
    Pairs,
    Plan,
    PlanError,
    RoleWeights,
    ScorecardConfig,
    TeamPool,
    Tier,
    _fail,
)

#: Folder of the bundled example plans.
PLANS_DIR = Path(__file__).resolve().parents[3] / "data" / "plans"
#: The reference plan of PRODUCT.md part 5.
REFERENCE_PLAN = PLANS_DIR / "reference.toml"


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
