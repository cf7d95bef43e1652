"""Published quarter results: a quarter's scorecard and pay frozen as they were published.

:func:`publish` computes one quarter's scorecard and pay under a plan on the store's
current data and freezes them into a small read-only DuckDB file
(``<store>.d/published/<quarter>-<n>.duckdb``, mode 0444) with one row in the control
database's ``published`` table. Publishing the same quarter again adds a publication and
never overwrites one; the newest is *the* published result of its quarter.

The frozen file holds everything a page or a statement needs to re-show the results
exactly, without recomputing:

- ``meta``: one row: ``format, quarter, plan_name, plan_hash, plan_toml, data_version,
  published_at, published_by, note``;
- ``scorecard``: one row per scored rep (:attr:`ScorecardResult.per_rep` columns);
- ``scorecard_metrics``: one row per rep and weighted metric (:attr:`ScorecardResult.metrics`);
- ``improvement``: the improvement list (:attr:`ScorecardResult.improvement`);
- ``pay``: one row per rep in the plan (:data:`~analytics.incentives.engine.PER_REP_COLUMNS`);
- ``statement``: every payout line (:data:`~analytics.incentives.statements.STATEMENT_COLUMNS`).

Reading follows the access policy (:mod:`analytics.access`) as live results do: the rows
are those of the reps the viewer's scope may see *today* (:func:`visible_rep_ids`), and a
viewer who sees pay aggregated only gets :meth:`Published.pay_by_team`; the per-rep pay
and statement doors refuse them. :func:`differences` compares a publication with today's
live results under the same plan.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from analytics import snapshots
from analytics.access import NOBODY, Scope, require_individual_pay, require_publisher, sees_individual_pay
from analytics.control import now_text
from analytics.filters import Filters
from analytics.incentives.engine import PER_REP_COLUMNS, compute
from analytics.incentives.inputs import load_inputs
from analytics.incentives.plans import GRADES, Plan, load_plan, plan_hash, to_toml
from analytics.incentives.scorecard import ScorecardResult, scorecard, visible_rep_ids
from analytics.incentives.statements import pay_by_team, statement
from analytics.periods import Quarter
from analytics.store import Store

#: Layout version of the frozen file (its ``meta.format``).
FORMAT = 1
#: Columns of :func:`list_published`.
PUBLICATION_COLUMNS = (
    "publish_id",
    "quarter",
    "plan_name",
    "plan_hash",
    "data_version",
    "file",
    "published_at",
    "published_by",
    "note",
)
#: Columns of :attr:`Differences.reps` (the ``pay_*`` ones only for a viewer who sees individual pay).
DIFFERENCE_COLUMNS = (
    "rep_id",
    "rep_name",
    "team_id",
    "region_id",
    "status",
    "score_before",
    "score_after",
    "score_delta",
    "grade_before",
    "grade_after",
    "pay_before",
    "pay_after",
    "pay_delta",
)
#: Columns of :attr:`Differences.teams`.
TEAM_DIFFERENCE_COLUMNS = ("team_id", "region_id", "reps", "pay_before", "pay_after", "pay_delta")
#: Score changes smaller than this are equal (float noise); pay is compared to the cent.
SCORE_TOLERANCE = 1e-9
PAY_TOLERANCE = 0.005

NOT_PUBLISHED = "{quarter} has no published result yet; a leader publishes it with 'publish --quarter {quarter}'."
NO_SUCH_PUBLICATION = "There is no publication {publish_id}; 'published list' shows the publications there are."
NOTHING_TO_PUBLISH = (
    "There is nothing to publish for {quarter}: no rep has a target or scorecard metrics in it. "
    "Pick a quarter that has data."
)
NEEDS_FOLDER = "A store in memory has no folder for published results; pass folder= with a directory to write them to."
MISSING_FILE = (
    "The published results file {file} is missing; restore it from a backup of the store's folder "
    "(publication {publish_id})."
)


class PublishError(Exception):
    """A publication cannot be made or found; the message is a sentence saying what to do.

    ``template`` and ``params`` let an output translate it (``str(exc)`` is English).
    """

    def __init__(self, template: str, **params: object) -> None:
        super().__init__(template.format(**params) if params else template)
        self.template = template
        self.params = params


@dataclass(frozen=True)
class Publication:
    """One row of the control database's ``published`` table."""

    publish_id: int
    quarter: str
    plan_name: str
    plan_hash: str
    data_version: int | None
    file: str
    published_at: datetime
    published_by: str
    note: str


@dataclass(frozen=True)
class Published:
    """A publication's frozen results, as the viewer may see them.

    Attributes
    ----------
    publication
        The control row (who, when, which data version and plan).
    plan
        The plan the results were computed under (read back from the frozen TOML).
    scorecard
        The frozen scorecard restricted to the viewer's reps (a
        :class:`~analytics.incentives.scorecard.ScorecardResult`, so pages draw it as a live one).
    viewer, regions, teams
        Who reads it and the display restriction applied.
    """

    publication: Publication
    plan: Plan
    scorecard: ScorecardResult
    viewer: Scope = NOBODY
    regions: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()
    _pay: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False, compare=False)
    _lines: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False, compare=False)

    @property
    def quarter(self) -> str:
        """The quarter published."""
        return self.publication.quarter

    def pay_lines(self, columns: tuple[str, ...] | list[str] = PER_REP_COLUMNS) -> pd.DataFrame:
        """Every visible rep's frozen pay (one row per rep, ``columns`` of :data:`PER_REP_COLUMNS`).

        Raises :class:`analytics.access.AccessDenied` for a viewer who sees pay aggregated only.
        """
        require_individual_pay(self.viewer)
        return self._pay[list(columns)].copy()

    def statement(self, rep_ids: list[str] | tuple[str, ...] | None = None) -> pd.DataFrame:
        """The frozen payout statements of ``rep_ids`` (default: every visible rep).

        Columns: :data:`STATEMENT_COLUMNS`, exactly as published. Raises
        :class:`analytics.access.AccessDenied` for a viewer who sees pay aggregated only.
        """
        require_individual_pay(self.viewer)
        lines = self._lines
        if rep_ids is not None:
            lines = lines[lines["rep_id"].isin(list(rep_ids))]
        return lines.reset_index(drop=True)

    def pay_by_team(self) -> pd.DataFrame:
        """Frozen pay per team over the visible reps (:func:`analytics.incentives.pay_by_team`'s columns)."""
        return pay_by_team(SimpleNamespace(per_rep=self._pay))  # type: ignore[arg-type]

    def total_pay(self) -> float:
        """The visible reps' frozen total pay (an aggregate every viewer may see)."""
        return round(float(self._pay["total_pay"].sum()), 2) if len(self._pay) else 0.0


@dataclass(frozen=True)
class Differences:
    """Where today's live results differ from a publication, for one viewer.

    Attributes
    ----------
    publication
        The publication compared.
    reps
        One row per visible rep whose score, grade or pay differs (``status``: ``changed``,
        ``added`` (live only) or ``removed`` (published only)); columns
        :data:`DIFFERENCE_COLUMNS`, without the ``pay_*`` ones for a viewer who sees pay
        aggregated only. ``*_before`` is published, ``*_after`` live, ``delta = after - before``.
    teams
        One row per team whose visible reps' total pay differs: :data:`TEAM_DIFFERENCE_COLUMNS`.
    counts
        ``reps_compared, reps_changed, score_changed, grade_changed, pay_changed, added,
        removed, teams_pay_changed`` (``pay_changed`` is None for an aggregate-only viewer),
        ``pay_before, pay_after`` (the visible reps' totals).
    """

    publication: Publication
    reps: pd.DataFrame
    teams: pd.DataFrame
    counts: dict[str, Any]


# -- the control rows -------------------------------------------------------------------------------
def _publication(row: Any) -> Publication:
    version = row["data_version"]
    return Publication(
        publish_id=int(row["publish_id"]),
        quarter=str(row["quarter"]),
        plan_name=str(row["plan_name"]),
        plan_hash=str(row["plan_hash"]),
        data_version=None if version is None or pd.isna(version) else int(version),
        file=str(row["file"]),
        published_at=pd.Timestamp(row["published_at"]).to_pydatetime(),
        published_by=str(row["published_by"]),
        note=str(row["note"] or ""),
    )


def list_published(store: Store, *, quarter: str | None = None) -> pd.DataFrame:
    """Every publication (of ``quarter`` when given), newest first: :data:`PUBLICATION_COLUMNS`.

    The rows say who published what and when; they hold no scores or pay.
    """
    cols = ", ".join(PUBLICATION_COLUMNS)
    if quarter:
        return store.control.query(
            f"SELECT {cols} FROM published WHERE quarter = ? ORDER BY publish_id DESC",  # noqa: S608 - fixed names
            [str(Quarter.parse(quarter))],
        )
    return store.control.query(f"SELECT {cols} FROM published ORDER BY publish_id DESC")  # noqa: S608 - fixed names


def publication(store: Store, which: int | str) -> Publication | None:
    """The publication ``which``: a ``publish_id``, or a quarter (``2025Q3``: its latest); None if none."""
    if isinstance(which, int | np.integer) or (isinstance(which, str) and which.isdigit()):
        df = list_published(store)
        df = df[df["publish_id"] == int(which)]
    else:
        df = list_published(store, quarter=str(which))
    return None if df.empty else _publication(df.iloc[0])


def latest(store: Store, quarter: str) -> Publication | None:
    """The published result of ``quarter`` (its newest publication), or None."""
    return publication(store, str(Quarter.parse(quarter)))


def _home(store: Store) -> Path:
    return snapshots.layout(store.path).home


def file_of(store: Store, pub: Publication) -> Path:
    """Where ``pub``'s frozen file is (the control row holds it relative to the store's folder)."""
    p = Path(pub.file)
    return p if p.is_absolute() else _home(store) / p


# -- publishing -------------------------------------------------------------------------------------
def _frozen_tables(store: Store, quarter: str, plan: Plan, by: Scope) -> dict[str, pd.DataFrame]:
    """The quarter's scorecard and pay under ``plan`` over every rep (``by`` is a leader)."""
    filters = Filters.for_quarter(quarter)
    card = scorecard(store, filters, by, plan=plan)
    result = compute(load_inputs(store, filters, by), plan)
    return {
        "scorecard": card.per_rep,
        "scorecard_metrics": card.metrics,
        "improvement": card.improvement,
        "pay": result.per_rep[list(PER_REP_COLUMNS)],
        "statement": statement(result),
    }


def _write(path: Path, tables: dict[str, pd.DataFrame], meta: dict[str, Any]) -> None:
    """Write the frozen tables and the one-row ``meta`` into a new DuckDB file ``path``."""
    con = duckdb.connect(str(path))
    try:
        for name, frame in {**tables, "meta": pd.DataFrame([meta])}.items():
            con.register("frame", frame)
            con.execute(f"CREATE TABLE {name} AS SELECT * FROM frame")  # noqa: S608 - fixed table names
            con.unregister("frame")
        con.execute("CHECKPOINT")
    finally:
        con.close()
    Path(str(path) + ".wal").unlink(missing_ok=True)


def _claim(tmp: Path, folder: Path, quarter: str) -> Path:
    """Give the finished file ``tmp`` the next free name ``<quarter>-<n>.duckdb`` (never overwriting).

    ``os.link`` fails when the name exists, so two publications at once get different names.
    """
    taken = [f.name for f in folder.glob(f"{quarter}-*.duckdb")]
    n = len(taken) + 1
    while True:
        final = folder / f"{quarter}-{n}.duckdb"
        try:
            os.link(tmp, final)
        except FileExistsError:
            n += 1
            continue
        tmp.unlink()
        return final


def publish(
    store: Store, quarter: str, plan: Plan, *, by: Scope, note: str = "", folder: str | Path | None = None
) -> Published:
    """Freeze ``quarter``'s scorecard and pay under ``plan`` on the store's current data.

    Parameters
    ----------
    store
        The store (a reader is enough: the results go to a new file and the control database).
    quarter
        A quarter such as ``2025Q3``.
    plan
        The plan whose scorecard weights, grading and pay rules apply.
    by
        Who publishes; must be a leader (:func:`analytics.access.require_publisher`).
    note
        Said with the publication (why it was published, what changed).
    folder
        Where the frozen file goes (default: the store's ``published/`` folder; required for
        a store in memory).

    Returns
    -------
    Published
        The new publication's frozen results as ``by`` sees them.

    Raises
    ------
    AccessDenied
        ``by`` may not publish.
    PublishError
        The quarter has no rep to score or pay, or a store in memory has no ``folder``.
    """
    require_publisher(by)
    q = str(Quarter.parse(quarter))
    if folder is None:
        if store.path == ":memory:":
            raise PublishError(NEEDS_FOLDER)
        folder = snapshots.layout(store.path).published
    folder = Path(folder)
    tables = _frozen_tables(store, q, plan, by)
    if tables["scorecard"].empty and tables["pay"].empty:
        raise PublishError(NOTHING_TO_PUBLISH, quarter=q)
    meta = {
        "format": FORMAT,
        "quarter": q,
        "plan_name": plan.name,
        "plan_hash": plan_hash(plan),
        "plan_toml": to_toml(plan),
        "data_version": int(store.version),
        "published_at": now_text(),
        "published_by": by.user,
        "note": note.strip(),
    }
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{uuid.uuid4().hex}.tmp"
    try:
        _write(tmp, tables, meta)
        tmp.chmod(0o444)
        final = _claim(tmp, folder, q)
    finally:
        tmp.unlink(missing_ok=True)
    home = _home(store)
    recorded = str(final.relative_to(home)) if final.is_relative_to(home) else str(final)
    try:
        with store.control.transaction() as con:
            cur = con.execute(
                "INSERT INTO published (quarter, plan_name, plan_hash, data_version, file, published_at,"
                " published_by, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [q, meta["plan_name"], meta["plan_hash"], meta["data_version"], recorded, *_who(meta)],
            )
            publish_id = int(cur.lastrowid)
    except BaseException:
        final.unlink(missing_ok=True)  # no control row: the file would be an orphan
        raise
    return load_published(store, publish_id, by)


def _who(meta: dict[str, Any]) -> list[Any]:
    return [meta["published_at"], meta["published_by"], meta["note"]]


# -- reading ----------------------------------------------------------------------------------------
def _read(file: Path) -> dict[str, pd.DataFrame]:
    con = duckdb.connect(str(file), read_only=True)
    try:
        names = ("meta", "scorecard", "scorecard_metrics", "improvement", "pay", "statement")
        return {n: con.execute(f"SELECT * FROM {n}").df() for n in names}  # noqa: S608 - fixed names
    finally:
        con.close()


def _scorecard(frames: dict[str, pd.DataFrame], quarter: str, visible: set[str]) -> ScorecardResult:
    per = frames["scorecard"]
    per = per[per["rep_id"].isin(visible)].reset_index(drop=True)
    per["rank_in_role"] = per["rank_in_role"].astype("Int64")
    per["promotion_watch"] = per["promotion_watch"].astype(bool)
    metrics = frames["scorecard_metrics"]
    counts = per["grade"].value_counts()
    imp = frames["improvement"]
    return ScorecardResult(
        quarter=quarter,
        per_rep=per,
        metrics=metrics[metrics["rep_id"].isin(visible)].reset_index(drop=True),
        promotion=per[per["promotion_watch"]].reset_index(drop=True),
        improvement=imp[imp["rep_id"].isin(visible)].reset_index(drop=True),
        grade_counts=pd.DataFrame({"grade": list(GRADES), "reps": [int(counts.get(g, 0)) for g in GRADES]}),
    )


def load_published(
    store: Store,
    which: int | str,
    scope: Scope,
    *,
    regions: tuple[str, ...] = (),
    teams: tuple[str, ...] = (),
) -> Published:
    """The frozen results of publication ``which`` as ``scope`` may see them.

    Parameters
    ----------
    store
        The store the publication belongs to.
    which
        A ``publish_id``, or a quarter such as ``2025Q3`` (its latest publication).
    scope
        The viewer: rows are the reps the scope may see today (:func:`visible_rep_ids`); a
        viewer who sees pay aggregated only gets no per-rep pay or statement lines.
    regions, teams
        Optional display restriction, as for the live scorecard.

    Raises
    ------
    PublishError
        No such publication, or its file is missing.
    """
    pub = publication(store, which)
    if pub is None:
        if str(which).isdigit():
            raise PublishError(NO_SUCH_PUBLICATION, publish_id=int(which))
        raise PublishError(NOT_PUBLISHED, quarter=str(which))
    file = file_of(store, pub)
    if not file.exists():
        raise PublishError(MISSING_FILE, file=str(file), publish_id=pub.publish_id)
    frames = _read(file)
    meta = frames["meta"].iloc[0]
    visible = visible_rep_ids(store, scope, regions=tuple(regions), teams=tuple(teams))
    pay = frames["pay"]
    pay = pay[pay["rep_id"].isin(visible)].reset_index(drop=True)
    lines = frames["statement"]
    individual = sees_individual_pay(scope)
    if not individual:  # the per-rep doors refuse anyway; keep the frames out of reach as well
        lines = lines.iloc[:0]
    lines = lines[lines["rep_id"].isin(visible)].reset_index(drop=True)
    lines["tier"] = lines["tier"].astype("Int64")
    return Published(
        publication=pub,
        plan=load_plan(str(meta["plan_toml"])),
        scorecard=_scorecard(frames, pub.quarter, visible),
        viewer=scope,
        regions=tuple(regions),
        teams=tuple(teams),
        _pay=pay,
        _lines=lines,
    )


# -- published against live -------------------------------------------------------------------------
def _changed(before: pd.Series, after: pd.Series, tol: float) -> pd.Series:
    both = before.notna() & after.notna()
    return (before.isna() != after.isna()) | (both & ((after - before).abs() > tol))


def differences(
    store: Store,
    published: Published | int | str,
    scope: Scope,
    *,
    regions: tuple[str, ...] = (),
    teams: tuple[str, ...] = (),
) -> Differences:
    """Where today's live scorecard and pay (same quarter, same plan) differ from a publication.

    Parameters
    ----------
    store
        The store; its current data is "live".
    published
        A :class:`Published`, a ``publish_id`` or a quarter (its latest publication).
    scope
        The viewer: only their reps are compared; pay differences per rep only for a viewer
        who sees individual pay (everyone gets them per team).
    regions, teams
        Optional display restriction (ignored when ``published`` is a :class:`Published`,
        whose own restriction applies).

    Returns
    -------
    Differences
        The reps and teams that differ, and the counts.
    """
    if isinstance(published, Published):
        regions, teams = published.regions, published.teams
        ref: int | str = published.publication.publish_id
    else:
        ref = published
    pub = load_published(store, ref, scope, regions=regions, teams=teams)
    q, plan = pub.quarter, pub.plan
    filters = Filters.for_quarter(q, region_ids=tuple(regions), team_ids=tuple(teams))
    live_card = scorecard(store, filters, scope, plan=plan).per_rep
    live_pay = compute(load_inputs(store, filters, scope), plan).per_rep
    ident = ["rep_id", "rep_name", "team_id", "region_id"]
    before = pub.scorecard.per_rep[[*ident, "total_score", "grade"]].merge(
        pub._pay[["rep_id", "total_pay"]], on="rep_id", how="outer"
    )
    after = live_card[[*ident, "total_score", "grade"]].merge(
        live_pay[["rep_id", "total_pay"]], on="rep_id", how="outer"
    )
    m = before.merge(after, on="rep_id", how="outer", suffixes=("_before", "_after"), indicator=True)
    for c in ident[1:]:
        m[c] = m[f"{c}_after"].combine_first(m[f"{c}_before"])
    m["status"] = m["_merge"].map({"both": "changed", "left_only": "removed", "right_only": "added"}).astype(str)
    m = m.rename(
        columns={
            "total_score_before": "score_before",
            "total_score_after": "score_after",
            "total_pay_before": "pay_before",
            "total_pay_after": "pay_after",
        }
    )
    m["score_delta"] = m["score_after"] - m["score_before"]
    m["pay_delta"] = (m["pay_after"] - m["pay_before"]).round(2)
    score_changed = _changed(m["score_before"], m["score_after"], SCORE_TOLERANCE)
    grade_changed = m["grade_before"].fillna("") != m["grade_after"].fillna("")
    pay_changed = _changed(m["pay_before"], m["pay_after"], PAY_TOLERANCE)
    individual = sees_individual_pay(scope)
    differs = score_changed | grade_changed | (pay_changed if individual else False) | (m["status"] != "changed")
    cols = [c for c in DIFFERENCE_COLUMNS if individual or not c.startswith("pay_")]
    reps = m.loc[differs, cols].sort_values(["status", "rep_id"], ignore_index=True)
    team_rows = _team_differences(before, after)
    counts = {
        "reps_compared": len(m),
        "reps_changed": int(differs.sum()),
        "score_changed": int(score_changed.sum()),
        "grade_changed": int(grade_changed.sum()),
        "pay_changed": int(pay_changed.sum()) if individual else None,
        "added": int((m["status"] == "added").sum()),
        "removed": int((m["status"] == "removed").sum()),
        "teams_pay_changed": len(team_rows),
        "pay_before": round(float(before["total_pay"].sum()), 2),
        "pay_after": round(float(after["total_pay"].sum()), 2),
    }
    return Differences(publication=pub.publication, reps=reps, teams=team_rows, counts=counts)


def _team_differences(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """Teams whose visible reps' total pay differs between ``before`` and ``after``."""

    def per_team(frame: pd.DataFrame) -> pd.DataFrame:
        paid = frame[frame["total_pay"].notna()]
        return paid.groupby(["team_id", "region_id"]).agg(reps=("rep_id", "size"), pay=("total_pay", "sum"))

    t = per_team(before).join(per_team(after), how="outer", lsuffix="_b", rsuffix="_a").reset_index()
    out = pd.DataFrame(
        {
            "team_id": t["team_id"],
            "region_id": t["region_id"],
            "reps": t["reps_a"].fillna(t["reps_b"]).fillna(0).astype(int),
            "pay_before": t["pay_b"].round(2),
            "pay_after": t["pay_a"].round(2),
        }
    )
    out["pay_delta"] = (out["pay_after"].fillna(0) - out["pay_before"].fillna(0)).round(2)
    keep = _changed(out["pay_before"], out["pay_after"], PAY_TOLERANCE)
    return out.loc[keep, list(TEAM_DIFFERENCE_COLUMNS)].sort_values("team_id", ignore_index=True)
