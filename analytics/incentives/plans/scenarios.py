"""Saved plan scenarios (table ``scenarios`` of the control database) and the plans a page can start from.

Each save of a name adds a revision (1, 2, ...) holding the plan's canonical TOML text
(:func:`analytics.incentives.plans.to_toml`) and its fingerprint.
"""

from __future__ import annotations

import pandas as pd

from analytics.control import now_text
from analytics.incentives.plan_messages import plan_name
from analytics.incentives.plans.loader import bundled_plans, load_plan, plan_hash, to_toml
from analytics.incentives.plans.model import Plan, PlanError
from analytics.store import Store

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
    with store.control.transaction() as con:
        row = con.execute("SELECT coalesce(max(revision), 0) FROM scenarios WHERE name = ?", [clean]).fetchone()
        revision = int(row[0]) + 1
        con.execute(
            "INSERT INTO scenarios VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                clean,
                revision,
                plan.name,
                plan.version,
                plan_hash(plan),
                text,
                author or "unknown",
                now_text(),
                quarter,
                note or "",
            ],
        )
    return revision


def list_scenarios(store: Store) -> pd.DataFrame:
    """Every saved revision, newest first. Columns: :data:`SCENARIO_COLUMNS`."""
    return store.control.query(
        "SELECT name, revision, plan_name, plan_version, plan_hash, author, created_at, quarter, note"
        " FROM scenarios ORDER BY created_at DESC, name, revision DESC"
    )


def load_scenario(store: Store, name: str, revision: int | None = None) -> Plan:
    """The plan saved under ``name`` (its latest revision unless ``revision`` is given)."""
    row = store.control.query(
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
