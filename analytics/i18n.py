"""The message catalogue without Streamlit: gettext .po files read with Babel.

English text is the message id; ``locales/zh/LC_MESSAGES/*.po`` hold Simplified Chinese.
ui/i18n.py adds the session's current language on top; the CLI uses this module for
``--lang zh`` output. Machine formats (``--format csv|json``) never translate.
:class:`SentenceTemplates` translates sentences that were finished in English before the
reader's language was known (import reasons, plan validation errors).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path

from babel.messages.pofile import read_po

LANGS = ("en", "zh")
DEFAULT_LANG = "en"
LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"

#: Column identifiers -> English labels, for human-readable tables and exports.
COLUMN_LABELS = {
    "metric": "Metric",
    "value": "Value",
    "previous": "Previous period",
    "change": "Change",
    "week_start": "Week starting",
    "leads": "Leads",
    "closed": "Closed",
    "won": "Won",
    "conversion_rate": "Conversion rate",
    "conversion_lo": "Interval low",
    "conversion_hi": "Interval high",
    "won_revenue": "Won revenue",
    "cum_won_revenue": "Won revenue to date",
    "target_pace": "Target pace",
    "band_lo": "80% of pace",
    "band_hi": "120% of pace",
    "target": "Target",
    "attainment": "Attainment",
    "rep_id": "Rep",
    "rep_name": "Rep name",
    "team_id": "Team",
    "region_id": "Region",
    "segment": "Segment",
    "source": "Source",
    "quarter": "Quarter",
    "grade": "Grade",
    "total_pay": "Total pay",
    # accounts (users list) and the access log (access-log): analytics/cli/users.py
    "username": "Username",
    "role": "Role",
    "region_ids": "Regions",
    "team_ids": "Teams",
    "disabled": "Disabled",
    "created_at": "Created at",
    "logged_at": "Logged at",
    "action": "Action",
    "object": "Object",
    "detail": "Detail",
    # the run log (runs, the Data page): analytics/runs.py
    "run_id": "Run",
    "kind": "Kind",
    "status": "Status",
    "started_at": "Started at",
    "finished_at": "Finished at",
    "version": "Data version",
    "rows_read": "Rows read",
    "rows_stored": "Rows stored",
    "rows_rejected": "Rows rejected",
    "message": "Reason",
    "command": "Command",
    # flagged unit-weeks (anomalies) and one unit-week explained (explain): analytics/cli/anomalies.py
    "region": "Region",
    "team": "Team",
    "avg_deal_value": "Average deal value",
    "actual": "Actual",
    "expected": "Expected",
    "lower": "Band low",
    "upper": "Band high",
    "score": "Robust score",
    "top_driver": "Top driver",
    "week_label": "Week",
    "series": "Series",
    "direction": "Direction",
    "money_at_stake": "Money at stake",
    "top_driver_share": "Top driver's share",
    "dimension": "Dimension",
    "key": "Who",
    "term": "Term",
    "contribution": "Contribution",
    "share": "Share of the change",
    "before": "Before",
    "after": "After",
    "value_unit": "Value unit",
    # pay, scorecard and scenarios (simulate, scorecard, scenarios): analytics/cli/incentives.py
    "base_bonus": "Base bonus",
    "commission": "Commission",
    "team_bonus": "Team bonus",
    "innovation_bonus": "Innovation bonus",
    "budget_scaling": "Budget scaling",
    "baseline_total_pay": "Baseline total pay",
    "delta": "Change in pay",
    "reps": "Reps",
    "won_amount": "Won amount",
    "target_amount": "Target amount",
    "mean_pay": "Mean pay",
    "rule": "Rule",
    "tier": "Tier",
    "rate": "Rate",
    "amount": "Amount",
    "monthly_salary": "Monthly salary",
    "team_pool": "Team pool",
    "innovation_points": "Innovation points",
    "subtotal": "Subtotal",
    "results_score": "Results score",
    "behaviour_score": "Behaviour score",
    "collaboration_score": "Collaboration score",
    "total_score": "Total score",
    "rank_in_role": "Rank in role",
    "reps_in_role": "Reps in role",
    "previous_grade": "Previous grade",
    "promotion_watch": "Promotion watch",
    "weakest_1": "Weakest metric 1",
    "weakest_1_score": "Weakest metric 1 score",
    "weakest_2": "Weakest metric 2",
    "weakest_2_score": "Weakest metric 2 score",
    "weakest_3": "Weakest metric 3",
    "weakest_3_score": "Weakest metric 3 score",
    "name": "Name",
    "revision": "Revision",
    "plan_name": "Plan",
    "plan_version": "Plan version",
    "plan_hash": "Plan fingerprint",
    "author": "Author",
    "note": "Note",
    "figure": "Figure",
    "a": "First scenario",
    "b": "Second scenario",
    "total_pay_baseline": "Total pay (baseline)",
    "total_pay_scenario": "Total pay (scenario)",
    "delta_pct": "Change in pay (%)",
    "d_base_bonus": "Change in base bonus",
    "d_commission": "Change in commission",
    "d_team_bonus": "Change in team bonus",
    "d_innovation_bonus": "Change in innovation bonus",
    "d_budget_scaling": "Change in budget scaling",
    "grade_baseline": "Grade (baseline)",
    "grade_scenario": "Grade (scenario)",
    "reason": "Reason",
    # health audit (audit) and pilot evaluation (pilot): analytics/cli/audit.py, analytics/cli/pilots.py
    "half": "Half-year",
    "quarters": "Quarters audited",
    "revenue": "Revenue",
    "gross_profit": "Gross profit",
    "incentive_cost": "Incentive cost",
    "salary_cost": "Salary cost",
    "cost_of_sales": "Cost of sales (salaries and incentives)",
    "cost_of_sales_ratio": "Cost of sales / revenue",
    "incentive_per_revenue": "Incentive cost / revenue",
    "gp_prev_year": "Gross profit a year earlier",
    "incremental_gp": "Incremental gross profit",
    "roi": "Return on incentive",
    "roi_lo": "Return on incentive, interval low",
    "roi_hi": "Return on incentive, interval high",
    "gp_per_incentive": "Gross profit per unit of incentive",
    "revenue_growth_yoy": "Revenue growth year on year",
    "share_threshold": "Reached base threshold",
    "share_threshold_lo": "Reached base threshold, interval low",
    "share_threshold_hi": "Reached base threshold, interval high",
    "share_quota": "Reached quota",
    "share_quota_lo": "Reached quota, interval low",
    "share_quota_hi": "Reached quota, interval high",
    "share_accelerator": "In accelerator band",
    "share_accelerator_lo": "In accelerator band, interval low",
    "share_accelerator_hi": "In accelerator band, interval high",
    "att_p10": "Attainment, 10th percentile",
    "att_p25": "Attainment, 25th percentile",
    "att_p50": "Attainment, median",
    "att_p75": "Attainment, 75th percentile",
    "att_p90": "Attainment, 90th percentile",
    "ks_stat": "Kolmogorov-Smirnov statistic",
    "ks_p": "Kolmogorov-Smirnov p value",
    "psi": "Population stability index",
    "satisfaction": "Rep satisfaction (0-10)",
    "satisfaction_lo": "Rep satisfaction, interval low",
    "satisfaction_hi": "Rep satisfaction, interval high",
    "nps": "Net promoter score",
    "nps_lo": "Net promoter score, interval low",
    "nps_hi": "Net promoter score, interval high",
    "nps_responses": "NPS survey responses",
    "outcome": "Outcome",
    "unit": "Unit of the outcome",
    "accel_mean": "Accelerator band mean",
    "other_mean": "Other reps' mean",
    "raw_diff": "Raw difference",
    "diff": "Adjusted difference",
    "lo": "Interval low",
    "hi": "Interval high",
    "p_value": "p value",
    "within_diff": "Within-rep difference",
    "within_lo": "Within-rep difference, interval low",
    "within_hi": "Within-rep difference, interval high",
    "within_p": "Within-rep p value",
    "n_accel": "Rep-quarters in the accelerator band",
    "n_other": "Other rep-quarters",
    "n_reps": "Reps compared",
    "worse": "Significantly worse",
    "teams": "Pilot teams",
    "start": "Pilot start",
    "method": "Method",
    "effect": "Effect",
    "mde": "Minimum detectable effect",
    "n_placebo": "Placebo pilots",
    "controls": "Control teams used",
    "period": "Period",
    "treated": "Pilot teams' average",
    "control": "Controls (weighted, level-adjusted)",
    "effect_lo": "Effect, interval low",
    "effect_hi": "Effect, interval high",
    # lead sources and multi-touch credit (attribution sources, touch): analytics/cli/attribution.py
    "open_leads": "Open leads",
    "median_days_to_convert": "Median days to convert",
    "p75_days_to_convert": "Days to convert, 75th percentile",
    "mean_won_amount": "Mean won deal",
    "mean_won_amount_lo": "Mean won deal, interval low",
    "mean_won_amount_hi": "Mean won deal, interval high",
    "median_won_amount": "Median won deal",
    "median_won_amount_lo": "Median won deal, interval low",
    "median_won_amount_hi": "Median won deal, interval high",
    "revenue_per_lead": "Revenue per lead",
    "in_baseline": "In the baseline",
    "ratio_to_baseline": "Ratio to baseline",
    "ratio_lo": "Ratio, interval low",
    "ratio_hi": "Ratio, interval high",
    "p_value_holm": "Holm-adjusted p-value",
    "channel": "Channel",
    "conversions_credit": "Conversions credited",
    "revenue_credit": "Revenue credited",
    "credit_share": "Share of credit",
    "share_lo": "Share, interval low",
    "share_hi": "Share, interval high",
    # talk-track effects and key drivers (talk-tracks, drivers): analytics/cli/talk_tracks.py
    "tag": "Talk track",
    "n_treated": "Leads with it",
    "n_control": "Leads without it",
    "raw_rate_treated": "Conversion with it",
    "raw_rate_control": "Conversion without it",
    "adj_diff": "Adjusted difference (points)",
    "adj_diff_lo": "Adjusted difference, interval low",
    "adj_diff_hi": "Adjusted difference, interval high",
    "adj_lift": "Adjusted lift",
    "adj_lift_lo": "Adjusted lift, interval low",
    "adj_lift_hi": "Adjusted lift, interval high",
    "q_value": "q-value (false discovery rate)",
    "reported": "Reported",
    "raw_rate_treated_lo": "Conversion with it, interval low",
    "raw_rate_treated_hi": "Conversion with it, interval high",
    "raw_rate_control_lo": "Conversion without it, interval low",
    "raw_rate_control_hi": "Conversion without it, interval high",
    "raw_lift": "Raw lift",
    "adj_rate_treated": "Adjusted conversion with it",
    "adj_rate_control": "Adjusted conversion without it",
    "n_trimmed": "Leads trimmed",
    "covariate": "Covariate",
    "level": "Covariate level",
    "mean_treated": "Mean with the talk track",
    "mean_control": "Mean without it",
    "smd_before": "Standardised difference before",
    "smd_after": "Standardised difference after",
    "bin_lo": "Propensity bin low",
    "bin_hi": "Propensity bin high",
    "group": "Group",
    "statement": "Statement",
    "higher_is_better": "Higher is better",
    "n_missing": "Reps without data",
    "n_top": "Top performers",
    "k_better": "Top performers better than the median",
    "share_better": "Share of top performers better than the median",
    "expected_share": "All reps better than the median",
    "top_mean": "Top mean",
    "rest_mean": "Others' mean",
    "median": "Median",
    "coef_per_sd": "Effect per standard deviation",
    "coef_lo": "Effect, interval low",
    "coef_hi": "Effect, interval high",
    "odds_ratio": "Odds ratio",
    "perm_importance": "Permutation importance",
    "perm_importance_sd": "Permutation importance, standard deviation",
    "rep_value": "Rep's value",
    "team_mean": "Team mean",
    "top_decile_mean": "Mean of the top decile",
    "rep_percentile": "Position among reps",
    "team_percentile": "Team mean's position among reps",
    "top_decile_percentile": "Top-decile mean's position among reps",
    "team_name": "Team name",
    "closed_leads": "Closed leads",
    "won_leads": "Won leads",
    "rank": "Rank by attainment",
    "is_top": "Top performer",
    "needs_discovery_score": "needs-discovery depth",
    "solution_innovation": "solution innovation",
    "complaint_rate": "complaint rate",
    "approval_error_rate": "contract-approval error rate",
    "peer_review_score": "peer (360) review score",
    "mentoring_hours": "mentoring hours",
    "cross_dept_response_hours": "cross-department response time",
    # published results (publish, published list|diff): analytics/incentives/published.py
    "publish_id": "Publication",
    "data_version": "Data version",
    "file": "File",
    "published_at": "Published at",
    "published_by": "Published by",
    "score_before": "Published score",
    "score_after": "Live score",
    "score_delta": "Score change",
    "grade_before": "Published grade",
    "grade_after": "Live grade",
    "pay_before": "Published pay",
    "pay_after": "Live pay",
    "pay_delta": "Pay change",
}


@lru_cache(maxsize=4)
def catalogue(lang: str) -> dict[str, str | tuple[str, ...]]:
    """msgid -> translation for ``lang`` (empty for English, whose ids are the text)."""
    out: dict[str, str | tuple[str, ...]] = {}
    folder = LOCALES_DIR / lang / "LC_MESSAGES"
    if lang == "en" or not folder.exists():
        return out
    for po in sorted(folder.glob("*.po")):
        with po.open("rb") as fh:
            cat = read_po(fh, locale="zh_Hans_CN" if lang == "zh" else lang)
        for msg in cat:
            if not msg.id or not msg.string:
                continue
            key = msg.id[0] if isinstance(msg.id, tuple) else msg.id
            out[key] = tuple(msg.string) if isinstance(msg.string, tuple) else msg.string
    return out


def translate(msgid: str, lang: str, /, **params: object) -> str:
    """Translate ``msgid`` into ``lang`` and fill ``{placeholders}``."""
    text = catalogue(lang if lang in LANGS else DEFAULT_LANG).get(msgid, msgid)
    if isinstance(text, tuple):
        text = text[0]
    return text.format(**params) if params else text


def column_label(column: str, lang: str) -> str:
    """A human label for a column identifier in ``lang`` (the identifier when unknown)."""
    english = COLUMN_LABELS.get(column)
    return translate(english, lang) if english else column


_PLACEHOLDER = re.compile(r"{(\w+)}")
#: How sentences joined with "; " in English are joined in other languages.
LIST_SEPARATORS = {"zh": "；"}


def _pattern(msgid: str, values: Mapping[str, str]) -> re.Pattern[str]:
    """A regular expression matching the English sentences ``msgid`` produces.

    Each ``{name}`` matches ``values[name]`` when given, else any text (non-greedy); a name
    used twice must repeat the same text. ``{{`` and ``}}`` are literal braces, as in
    :meth:`str.format`.
    """
    parts, seen, pos = [], set(), 0
    for m in _PLACEHOLDER.finditer(msgid):
        parts.append(re.escape(msgid[pos : m.start()].replace("{{", "{").replace("}}", "}")))
        name = m.group(1)
        parts.append(f"(?P={name})" if name in seen else f"(?P<{name}>{values.get(name, '.*?')})")
        seen.add(name)
        pos = m.end()
    parts.append(re.escape(msgid[pos:].replace("{{", "{").replace("}}", "}")))
    return re.compile("".join(parts), re.DOTALL)


class SentenceTemplates:
    """Translate finished English sentences by matching them against their message ids.

    Libraries that build a sentence long before anyone knows the reader's language (import
    reasons written by SQL, validation errors raised as exceptions) keep producing English;
    the templates they use are listed here as message ids with ``{placeholders}``.
    :meth:`translate` finds the template a sentence came from, translates the template and
    puts the original placeholder values back, untranslated (they are data: file names,
    ids, cell values), except for placeholders listed in ``nested``, whose values are
    themselves translated with another :class:`SentenceTemplates`. A sentence no template
    matches is returned unchanged, so an unknown message falls back to English.

    Parameters
    ----------
    msgids
        The English templates. When several match a sentence, the one with the most literal
        text wins (``{file} could not be read as {tried} text ...`` before ``{file} could not
        be read ({error}) ...``).
    nested
        Placeholder name -> the templates that translate its value.
    values
        Placeholder name -> a regular expression its value always matches (default: any
        text), for placeholders that would otherwise make a sentence ambiguous.
    """

    def __init__(
        self,
        msgids: Iterable[str],
        *,
        nested: Mapping[str, SentenceTemplates] | None = None,
        values: Mapping[str, str] | None = None,
    ) -> None:
        self.msgids: tuple[str, ...] = tuple(dict.fromkeys(msgids))
        self.nested: dict[str, SentenceTemplates] = dict(nested or {})
        literal = {m: len(_PLACEHOLDER.sub("", m)) for m in self.msgids}
        self._compiled = [(m, _pattern(m, values or {})) for m in sorted(self.msgids, key=lambda m: -literal[m])]

    def match(self, text: str) -> tuple[str, dict[str, str]] | None:
        """The template ``text`` was built from and its placeholder values, or None."""
        for msgid, pattern in self._compiled:
            m = pattern.fullmatch(text)
            if m:
                return msgid, m.groupdict()
        return None

    def translate(self, text: str, lang: str) -> str:
        """``text`` in ``lang`` (``text`` itself for English or when no template matches)."""
        if lang == DEFAULT_LANG:
            return text
        found = self.match(text)
        if found is None:
            return text
        msgid, params = found
        for name, templates in self.nested.items():
            if name in params:
                params[name] = templates.translate(params[name], lang)
        return translate(msgid, lang, **params)

    def split(self, text: str, sep: str = "; ") -> list[str] | None:
        """``text`` cut at ``sep`` into sentences that each match a template, or None.

        A template may itself contain ``sep`` (``...; check this line``), and so may a
        value, so the cut points are chosen so that every piece matches, the shortest
        pieces first (a placeholder matches any text, separators included).
        """
        parts = text.split(sep)
        best: dict[int, list[str] | None] = {len(parts): []}
        for i in range(len(parts) - 1, -1, -1):
            best[i] = None
            for j in range(i + 1, len(parts) + 1):
                rest = best[j]
                piece = sep.join(parts[i:j])
                if rest is not None and self.match(piece) is not None:
                    best[i] = [piece, *rest]
                    break
        return best[0]

    def translate_joined(self, text: str, lang: str, *, sep: str = "; ") -> str:
        """Translate several sentences joined with ``sep`` (see :meth:`split`), each on its own.

        When the text cannot be cut into known sentences it is translated as one sentence
        (or kept). ``; `` becomes the language's own separator (``；`` in Chinese).
        """
        if lang == DEFAULT_LANG:
            return text
        pieces = self.split(text, sep)
        if pieces is None:
            return self.translate(text, lang)
        joiner = LIST_SEPARATORS.get(lang, sep) if sep == "; " else sep
        return joiner.join(self.translate(p, lang) for p in pieces)


#: ``A or B or C`` lists (accepted values, modes, tried encodings), translated item by item.
OR_LIST = SentenceTemplates(["{first} or {rest}"])
OR_LIST.nested["rest"] = OR_LIST
