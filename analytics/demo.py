"""Deterministic demo-data generator with documented planted effects.

``generate(store, seed=7, n_leads=250_000)`` fills an empty store with a fictitious sales
organisation over eight quarters (2024Q1-2025Q4). Leads are generated in vectorised
chunks with NumPy (one independent random stream per chunk, so the result does not depend
on threads or chunk timing) and bulk-inserted through DuckDB. The same seed and size give
identical tables.

The effects planted on purpose, with their true sizes, are listed in docs/demo-data.md
and recorded in the store (``store_info`` key ``planted``) so tests read the truth from
the store they test.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from analytics.periods import Quarter, quarters_between
from analytics.store import Store, StoreError

log = logging.getLogger(__name__)

DATA_START = date(2024, 1, 1)
DATA_END = date(2025, 12, 31)
#: Leads generated per chunk (bounds memory at 10M leads).
CHUNK_LEADS = 500_000
#: Reps scale with lead volume: about one rep per this many leads (300 at 250k leads).
LEADS_PER_REP = 830

REGIONS = [
    ("R01", "Shanghai", "上海", 0.14),
    ("R02", "Beijing", "北京", 0.13),
    ("R03", "Guangzhou", "广州", 0.11),
    ("R04", "Shenzhen", "深圳", 0.10),
    ("R05", "Hangzhou", "杭州", 0.09),
    ("R06", "Chengdu", "成都", 0.08),
    ("R07", "Wuhan", "武汉", 0.07),
    ("R08", "Nanjing", "南京", 0.07),
    ("R09", "Xi'an", "西安", 0.06),
    ("R10", "Chongqing", "重庆", 0.05),
    ("R11", "Shenyang", "沈阳", 0.05),
    ("R12", "Xiamen", "厦门", 0.05),
]
TEAM_TYPES = ["telesales", "field", "key_account", "channel"]
TEAM_TYPE_SHARE = np.array([0.35, 0.30, 0.20, 0.15])
TEAM_TYPE_NAMES = {
    "telesales": ("Telesales", "电销"),
    "field": ("Field", "地推"),
    "key_account": ("Key Accounts", "大客户"),
    "channel": ("Channel", "渠道"),
}
MONTHLY_SALARY = {"telesales": 8_000, "field": 15_000, "key_account": 25_000, "channel": 12_000}

SEGMENTS = ["smb", "mid_market", "enterprise", "public_sector"]
SEGMENT_NAMES_ZH = {
    "smb": "小微企业",
    "mid_market": "中型企业",
    "enterprise": "大型企业",
    "public_sector": "政府及公共事业",
}
SEGMENT_SHARE = np.array([0.45, 0.30, 0.15, 0.10])
#: Conversion probability of a public-channel lead, average rep, no talk track, by segment.
SEGMENT_BASE_RATE = np.array([0.085, 0.065, 0.045, 0.050])
SEGMENT_DEAL_MEDIAN = np.array([20_000.0, 90_000.0, 400_000.0, 250_000.0])
SEGMENT_CYCLE_MEAN = np.array([25.0, 50.0, 95.0, 110.0])
#: P(team type | segment): rows follow SEGMENTS, columns TEAM_TYPES.
SEGMENT_TEAM_TYPE = np.array(
    [
        [0.65, 0.10, 0.00, 0.25],
        [0.15, 0.55, 0.10, 0.20],
        [0.00, 0.30, 0.70, 0.00],
        [0.00, 0.50, 0.50, 0.00],
    ]
)

SOURCES = ["website", "search_ads", "social_media", "referral", "partner", "trade_show", "outbound"]
SOURCE_NAMES_ZH = {
    "website": "官网",
    "search_ads": "搜索广告",
    "social_media": "社交媒体",
    "referral": "老客户转介绍",
    "partner": "合作伙伴",
    "trade_show": "展会",
    "outbound": "主动外呼",
}
PUBLIC_SOURCES = ("website", "search_ads", "social_media")
SOURCE_SHARE = np.array([0.22, 0.20, 0.13, 0.12, 0.10, 0.08, 0.15])
_PUBLIC_MULT = np.array([1.05, 1.00, 0.90])
_POOLED_PUBLIC = float((SOURCE_SHARE[:3] * _PUBLIC_MULT).sum() / SOURCE_SHARE[:3].sum())
#: True conversion ratio of referral leads to pooled public-channel leads.
REFERRAL_RATIO = 3.0
SOURCE_MULT = np.array([*_PUBLIC_MULT, REFERRAL_RATIO * _POOLED_PUBLIC, 1.8, 1.4, 0.8])
SOURCE_CYCLE_MULT = np.array([1.0, 1.0, 1.0, 0.7, 0.9, 1.1, 1.2])

TALK_TRACKS = ["product_scenario", "price_anchor", "roi_calculator", "case_study", "competitor_comparison"]
TALK_TRACK_NAMES_ZH = {
    "product_scenario": "产品使用场景",
    "price_anchor": "价格锚定",
    "roi_calculator": "投资回报测算",
    "case_study": "客户案例",
    "competitor_comparison": "竞品对比",
}
#: The planted talk-track effect: conversion probability x1.20 when used (relative lift 0.20).
PRODUCT_SCENARIO_LIFT = 0.20
#: Propensity (logit) of product_scenario: intercept, per SD of rep skill, per segment.
_SCENARIO_LOGIT = (-0.6, 0.9, np.array([0.6, 0.2, -0.4, -0.5]))
#: Other tags: (logit intercept, per SD of rep skill); none affects conversion.
_OTHER_TAG_LOGIT = {
    "price_anchor": (-1.2, 0.3),
    "roi_calculator": (-1.0, 0.0),
    "case_study": (-0.8, 0.0),
    "competitor_comparison": (-1.4, 0.0),
}

CHANNELS = ["organic_search", "paid_search", "social", "email", "webinar", "event", "referral", "partner", "display"]
CHANNEL_NAMES_ZH = {
    "organic_search": "自然搜索",
    "paid_search": "付费搜索",
    "social": "社交媒体",
    "email": "电子邮件",
    "webinar": "网络研讨会",
    "event": "线下活动",
    "referral": "转介绍",
    "partner": "合作伙伴",
    "display": "展示广告",
}
_FIRST_CHANNEL = np.array([0, 1, 2, 6, 7, 5, 3])  # first touch by SOURCES index
_LATER_CHANNEL_WON = np.array([0.15, 0.10, 0.10, 0.25, 0.25, 0.10, 0.0, 0.0, 0.05])
_LATER_CHANNEL_LOST = np.array([0.12, 0.12, 0.15, 0.30, 0.08, 0.03, 0.0, 0.0, 0.20])

STAGES = ["new", "contacted", "qualified", "proposal", "negotiation"]

SKILL_CONVERSION = 0.35  # conversion multiplier exp(0.35 * skill), normalised to mean 1
PILOT_START = Quarter(2025, 2)
PILOT_COLLAB_EFFECT = 8.0  # collaboration_score points (SD about 10)
PILOT_CONVERSION_MULT = 1.08  # pilot teams' leads convert 8% more from the pilot start
#: Quota setting: share of reps expected to reach 80% of target, and the elasticity of a
#: rep's target to their territory potential (1 = proportional).
TARGET_BASE_COVERAGE = 0.72
TARGET_HISTORY_WEIGHT = 1.0
ACCELERATOR_RENEWAL_DROP = 0.30  # renewal probability lost by reps in the accelerator band
ACCELERATOR_NPS_DROP = 2.0  # NPS points lost on their accounts in that quarter
RENEWAL_PROB = np.array([0.70, 0.78, 0.85, 0.88])
UPSELL_PROB = 0.15
HOLIDAYS = [
    (date(2024, 2, 9), date(2024, 2, 17)),
    (date(2025, 1, 28), date(2025, 2, 4)),
    (date(2024, 10, 1), date(2024, 10, 7)),
    (date(2025, 10, 1), date(2025, 10, 8)),
]
DROP_SHARE = 1.0  # share of the planted segment's wins that are lost in a drop week

_SURNAMES = [
    "Wang",
    "Li",
    "Zhang",
    "Liu",
    "Chen",
    "Yang",
    "Zhao",
    "Huang",
    "Zhou",
    "Wu",
    "Xu",
    "Sun",
    "Hu",
    "Zhu",
    "Gao",
    "Lin",
    "He",
    "Guo",
    "Ma",
    "Luo",
]
_GIVEN = [
    "Wei",
    "Fang",
    "Na",
    "Min",
    "Jing",
    "Lei",
    "Qiang",
    "Yan",
    "Jie",
    "Tao",
    "Ming",
    "Chao",
    "Xiu",
    "Hui",
    "Yu",
    "Ping",
    "Gang",
    "Hong",
    "Jun",
    "Li",
    "Bo",
    "Ning",
    "Kai",
    "Rui",
]
_EVIDENCE = [
    "Helped {peer} close a multi-site deal by preparing the technical proposal.",
    "Answered the delivery team's escalation within two hours during quarter end.",
    "Ran two onboarding sessions for new hires on discovery questions.",
    "Shared a reusable ROI template that three peers adopted.",
    "Covered {peer}'s accounts during leave without a missed renewal.",
]


@dataclass(frozen=True)
class DemoResult:
    """What :func:`generate` built: row counts per table and seconds taken."""

    counts: dict[str, int]
    seconds: float


def _day_weights(days: np.ndarray) -> np.ndarray:
    """Lead-volume weight of each calendar day: weekday, holiday dips, trend, annual wave."""
    dates = pd.to_datetime(days)
    w = np.where(dates.dayofweek < 5, 1.0, np.where(dates.dayofweek == 5, 0.35, 0.25))
    for a, b in HOLIDAYS:
        w = np.where((dates >= pd.Timestamp(a)) & (dates <= pd.Timestamp(b)), w * 0.25, w)
    t = (dates - pd.Timestamp(DATA_START)).days.to_numpy() / 365.0
    w = w * (1 + 0.15 * t) * (1 + 0.10 * np.sin(2 * np.pi * (dates.dayofyear.to_numpy() - 80) / 365.0))
    return w / w.sum()


def _holiday_end(day_idx: np.ndarray) -> np.ndarray:
    """For day indices inside a holiday, the index of the first day after it; else -1."""
    out = np.full(day_idx.shape, -1, dtype=np.int64)
    for a, b in HOLIDAYS:
        ia, ib = (a - DATA_START).days, (b - DATA_START).days
        out = np.where((day_idx >= ia) & (day_idx <= ib), ib + 1, out)
    return out


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


class _Org:
    """Regions, teams and reps: the small entity tables, built once per store."""

    def __init__(self, rng: np.random.Generator, n_reps: int) -> None:
        n_regions = len(REGIONS)
        self.region_weight = np.array([r[3] for r in REGIONS])
        self.region_weight = self.region_weight / self.region_weight.sum()
        # segment mix per region: Dirichlet around the company mix
        self.region_segment = np.vstack([rng.dirichlet(SEGMENT_SHARE * 60) for _ in range(n_regions)])
        n_teams = max(4 * n_regions, round(n_reps / 8))
        extra = n_teams - 4 * n_regions
        per_region = 4 + np.floor(self.region_weight * extra).astype(int)
        per_region[: n_teams - per_region.sum()] += 1
        team_rows = []
        for ri in range(n_regions):
            types = list(range(4)) + list(rng.choice(4, size=per_region[ri] - 4, p=TEAM_TYPE_SHARE))
            for k, ti in enumerate(sorted(types)):
                team_rows.append((ri, ti, k + 1))
        self.team_region = np.array([t[0] for t in team_rows])
        self.team_type = np.array([t[1] for t in team_rows])
        self.team_ids = [f"T{i + 1:03d}" for i in range(len(team_rows))]
        self.team_names = [f"{REGIONS[ri][1]} {TEAM_TYPE_NAMES[TEAM_TYPES[ti]][0]} {k}" for ri, ti, k in team_rows]
        self.team_names_zh = [f"{REGIONS[ri][2]}{TEAM_TYPE_NAMES[TEAM_TYPES[ti]][1]}{k}组" for ri, ti, k in team_rows]
        # pilot: two field teams in the two largest regions
        field = [i for i in range(len(team_rows)) if self.team_type[i] == 1]
        self.pilot_teams = sorted({min(i for i in field if self.team_region[i] == r) for r in (0, 1)})
        # reps: at least 3 per team, the rest by volume-weighted region share
        team_w = self.region_weight[self.team_region] / np.bincount(self.team_region)[self.team_region]
        counts = 3 + rng.multinomial(max(n_reps - 3 * len(team_rows), 0), team_w / team_w.sum())
        self.rep_team = np.repeat(np.arange(len(team_rows)), counts)
        n = len(self.rep_team)
        self.n_reps = n
        self.rep_ids = [f"S{i + 1:05d}" for i in range(n)]
        self.skill = rng.standard_normal(n)
        self.rep_type = self.team_type[self.rep_team]
        self.rep_region = self.team_region[self.rep_team]
        first_of_team = np.r_[0, np.cumsum(counts)[:-1]]
        self.manager = first_of_team[self.rep_team]
        self.is_lead = np.arange(n) == self.manager
        hire_offset = np.where(rng.random(n) < 0.15, rng.integers(0, 600, n), -rng.integers(90, 3000, n))
        hire_offset[self.is_lead] = -rng.integers(1000, 3000, self.is_lead.sum())
        self.hire_day = hire_offset  # days relative to DATA_START
        base = np.array([MONTHLY_SALARY[t] for t in TEAM_TYPES])[self.rep_type]
        self.salary = np.round(base * np.exp(0.15 * rng.standard_normal(n) + 0.05 * self.skill), -2)
        # unique names: a shuffled walk over surname x given-name pairs, numbered past 480
        combos = len(_SURNAMES) * len(_GIVEN)
        order = rng.permutation(combos)
        self.names = []
        for i in range(n):
            pair = int(order[i % combos])
            lap = i // combos
            base = f"{_SURNAMES[pair // len(_GIVEN)]} {_GIVEN[pair % len(_GIVEN)]}"
            self.names.append(base if lap == 0 else f"{base} {lap + 1}")
        # rep pools per (region, team type) for lead assignment
        self.pools = {}
        for ri in range(n_regions):
            for ti in range(4):
                members = np.flatnonzero((self.rep_region == ri) & (self.rep_type == ti))
                self.pools[ri, ti] = members


def _drop_plan(rng: np.random.Generator, org: _Org, n_drops: int) -> list[dict[str, object]]:
    """Choose the region-weeks whose one segment's conversion collapses."""
    mondays = [DATA_START + timedelta(days=7 * k) for k in range(105)]
    eligible = []
    for m in mondays:
        if m < date(2024, 5, 1) or m > DATA_END - timedelta(days=60):
            continue
        if any(a - timedelta(days=7) <= m <= b + timedelta(days=7) for a, b in HOLIDAYS):
            continue
        q = Quarter.of(m)
        if (q.end - m).days < 14 or (m - q.start).days < 7:
            continue
        eligible.append(m)
    # the three largest regions, and in each the segment that wins the most deals there, so a
    # collapse removes enough wins in one week (about 15 of 30 at 250k leads) to be visible
    big_regions = list(np.argsort(-org.region_weight)[:3])
    drops: list[dict[str, object]] = []
    while len(drops) < n_drops:
        week = eligible[int(rng.integers(len(eligible)))]
        region = int(big_regions[int(rng.integers(len(big_regions)))])
        if any(abs((week - d["week_start"]).days) < 28 for d in drops):  # type: ignore[operator]
            continue
        segment = SEGMENTS[int(np.argmax(org.region_segment[region] * SEGMENT_BASE_RATE))]
        drops.append({"region_index": region, "region_id": REGIONS[region][0], "week_start": week, "segment": segment})
    return drops


def _leads_chunk(
    rng: np.random.Generator, org: _Org, n: int, day_w: np.ndarray, drops: list[dict[str, object]]
) -> dict[str, np.ndarray]:
    """Generate one chunk of leads with outcome, deal value and cycle (no IDs yet)."""
    n_days = len(day_w)
    day = rng.choice(n_days, size=n, p=day_w)
    region = rng.choice(len(REGIONS), size=n, p=org.region_weight)
    u = rng.random(n)
    cum = np.cumsum(org.region_segment[region], axis=1)
    segment = (u[:, None] > cum).sum(axis=1).clip(0, 3)
    source = rng.choice(len(SOURCES), size=n, p=SOURCE_SHARE)
    # team type by segment, then a rep from the region's pool of that type
    u = rng.random(n)
    ttype = (u[:, None] > np.cumsum(SEGMENT_TEAM_TYPE[segment], axis=1)).sum(axis=1).clip(0, 3)
    rep = np.empty(n, dtype=np.int64)
    for (ri, ti), pool in org.pools.items():
        mask = (region == ri) & (ttype == ti)
        k = int(mask.sum())
        if k:
            rep[mask] = pool[rng.integers(0, len(pool), k)]
    not_hired = day < org.hire_day[rep]
    rep = np.where(not_hired, org.manager[rep], rep)
    skill = org.skill[rep]
    # talk tracks: propensities depend on rep skill (and segment for product_scenario)
    a, b, seg_shift = _SCENARIO_LOGIT
    scenario = rng.random(n) < _sigmoid(a + b * skill + seg_shift[segment])
    other = {}
    for tag, (ia, ib) in _OTHER_TAG_LOGIT.items():
        other[tag] = rng.random(n) < _sigmoid(ia + ib * skill)
    # conversion probability
    skill_mult = np.exp(SKILL_CONVERSION * skill - SKILL_CONVERSION**2 / 2)
    p = SEGMENT_BASE_RATE[segment] * SOURCE_MULT[source] * skill_mult
    p = p * np.where(scenario, 1 + PRODUCT_SCENARIO_LIFT, 1.0)
    pilot = np.isin(org.rep_team[rep], org.pilot_teams) & (day >= (PILOT_START.start - DATA_START).days)
    p = np.minimum(p * np.where(pilot, PILOT_CONVERSION_MULT, 1.0), 0.95)
    won = rng.random(n) < p
    cycle_mean = SEGMENT_CYCLE_MEAN[segment] * SOURCE_CYCLE_MULT[source] * np.where(won, 1.0, 0.8)
    cycle = 1 + np.floor(rng.gamma(2.0, cycle_mean / 2.0)).astype(np.int64)
    close = day + cycle
    # quarter-end push: wins due early in a quarter are pulled into the previous quarter's end
    close_dates = pd.to_datetime(DATA_START) + pd.to_timedelta(close, unit="D")
    q_start_day = (close_dates.to_period("Q").start_time - pd.Timestamp(DATA_START)).days.to_numpy()
    early = won & (close - q_start_day < 10) & (rng.random(n) < 0.35)
    pulled = q_start_day - 1 - rng.integers(0, 3, n)
    close = np.where(early & (pulled > day), pulled, close)
    # holidays: closes that would fall in a holiday mostly slip to the first day after it
    after = _holiday_end(close)
    close = np.where((after >= 0) & (rng.random(n) < 0.8), after, close)
    is_open = close > n_days - 1
    amount = np.round(SEGMENT_DEAL_MEDIAN[segment] * np.exp(0.5 * rng.standard_normal(n) + 0.08 * skill), -2)
    # planted drops: one segment's wins in one region-week turn into losses
    for d in drops:
        w0 = (d["week_start"] - DATA_START).days  # type: ignore[operator]
        hit = (
            won
            & (region == d["region_index"])
            & (segment == SEGMENTS.index(str(d["segment"])))
            & (close >= w0)
            & (close < w0 + 7)
            & (rng.random(n) < DROP_SHARE)
        )
        won = won & ~hit
    status = np.where(is_open, 0, np.where(won, 1, 2))  # open / won / lost
    margin = np.clip(0.42 + 0.06 * rng.standard_normal(n), 0.15, 0.7)
    errors = rng.poisson(np.clip(0.12 - 0.05 * skill, 0.01, None))
    stage_u = rng.random(n)
    max_stage = np.where(status == 1, 4, np.where(status == 2, np.floor(stage_u * 4), np.floor(stage_u * 3))).astype(
        int
    )
    return {
        "day": day,
        "region": region,
        "segment": segment,
        "source": source,
        "rep": rep,
        "status": status,
        "close": np.where(is_open, -1, close),
        "amount": amount,
        "scenario": scenario,
        "other": other,
        "skill": skill,
        "cycle": cycle,
        "max_stage": max_stage,
        "ttype": org.rep_type[rep],
        "margin": margin,
        "errors": errors,
    }


def _calls_chunk(
    rng: np.random.Generator, leads: dict[str, np.ndarray], n_days: int, drops: list[dict[str, object]]
) -> dict[str, np.ndarray]:
    """Calls for one chunk of leads: times before the close, tags and discovery scores."""
    lam = np.array([2.0, 1.2, 2.5, 1.0])[leads["ttype"]]
    k = 1 + rng.poisson(lam)
    idx = np.repeat(np.arange(len(k)), k)
    pos = np.arange(len(idx)) - np.repeat(np.cumsum(k) - k, k)
    end = np.where(leads["close"] >= 0, leads["close"], n_days)
    span = np.maximum(end - leads["day"], 1)[idx]
    day = leads["day"][idx] + np.floor(rng.random(len(idx)) * span).astype(np.int64)
    seconds = day * 86400 + rng.integers(9 * 3600, 19 * 3600, len(idx))
    # product_scenario: one chosen call of a treated lead, plus 30% of its other calls
    chosen = rng.integers(0, k)[idx] == pos
    tag_bits = np.where(leads["scenario"][idx] & (chosen | (rng.random(len(idx)) < 0.3)), 1, 0)
    for bit, tag in enumerate(TALK_TRACKS[1:], start=1):
        has = leads["other"][tag][idx] & (rng.random(len(idx)) < 0.7)
        tag_bits = tag_bits | np.where(has, 1 << bit, 0)
    for d in drops:  # reps stopped pitching the usage scenario in the drop week
        w0 = (d["week_start"] - DATA_START).days  # type: ignore[operator]
        hit = (
            (leads["region"][idx] == d["region_index"])
            & (day >= w0)
            & (day < w0 + 7)
            & (leads["segment"][idx] == SEGMENTS.index(str(d["segment"])))
            & (rng.random(len(idx)) < 0.8)
        )
        tag_bits = np.where(hit, tag_bits & ~1, tag_bits)
    ttype = leads["ttype"][idx]
    duration = np.round(np.array([240.0, 900.0, 1200.0, 600.0])[ttype] * np.exp(0.4 * rng.standard_normal(len(idx))))
    score = np.clip(50 + 12 * leads["skill"][idx] + 10 * rng.standard_normal(len(idx)), 0, 100).round(1)
    return {
        "lead": idx,
        "seconds": seconds,
        "tags": tag_bits,
        "duration": duration.astype(np.int64),
        "score": score,
        "rep": leads["rep"][idx],
        "day": day,
    }


def _touches_chunk(rng: np.random.Generator, leads: dict[str, np.ndarray], n_days: int) -> dict[str, np.ndarray]:
    """Marketing touchpoints: first touch from the source, later ones depend on the outcome."""
    k = np.minimum(1 + rng.poisson(2.0, len(leads["day"])), 59)
    idx = np.repeat(np.arange(len(k)), k)
    pos = np.arange(len(idx)) - np.repeat(np.cumsum(k) - k, k)
    won = (leads["status"] == 1)[idx]
    u = rng.random(len(idx))
    later = np.where(
        won,
        (u[:, None] > np.cumsum(_LATER_CHANNEL_WON)[None, :]).sum(axis=1),
        (u[:, None] > np.cumsum(_LATER_CHANNEL_LOST)[None, :]).sum(axis=1),
    ).clip(0, len(CHANNELS) - 1)
    channel = np.where(pos == 0, _FIRST_CHANNEL[leads["source"][idx]], later)
    end = np.where(leads["close"] >= 0, leads["close"], n_days - 1)
    span = np.maximum(end - leads["day"], 0)[idx]
    first_day = leads["day"][idx] - rng.integers(0, 8, len(idx))
    day = np.where(
        pos == 0, first_day, leads["day"][idx] + np.floor(rng.random(len(idx)) * (span + 1)).astype(np.int64)
    )
    # whole minutes plus the position (< 60) in seconds: a lead's touch times never collide
    seconds = day * 86400 + 60 * rng.integers(8 * 60, 22 * 60, len(idx)) + pos
    return {"lead": idx, "channel": channel, "seconds": seconds}


def _insert_chunk(
    cur: object,
    org: _Org,
    offset: dict[str, int],
    leads: dict[str, np.ndarray],
    calls: dict[str, np.ndarray],
    touches: dict[str, np.ndarray],
) -> None:
    """Bulk-insert one chunk's leads, accounts, new deals, calls and touchpoints."""
    n = len(leads["day"])
    lead_no = offset["lead"] + np.arange(n)
    lead_df = pd.DataFrame(
        {
            "lead_no": lead_no,
            "day": leads["day"],
            "source": leads["source"],
            "region": leads["region"],
            "segment": leads["segment"],
            "rep": leads["rep"],
            "status": leads["status"],
            "close": leads["close"],
            "stage": leads["max_stage"],
            "amount": leads["amount"],
            "margin": leads["margin"],
            "errors": leads["errors"],
        }
    )
    params = [DATA_START, SOURCES, [r[0] for r in REGIONS], SEGMENTS, org.rep_ids, STAGES]
    cur.register("lead_chunk", lead_df)
    cur.execute(
        """
        INSERT INTO leads
        SELECT 'L' || lpad(lead_no::VARCHAR, 9, '0'),
               ?::DATE + day::INTEGER,
               (?::VARCHAR[])[source + 1], (?::VARCHAR[])[region + 1], (?::VARCHAR[])[segment + 1],
               (?::VARCHAR[])[rep + 1],
               CASE status WHEN 0 THEN 'open' WHEN 1 THEN 'won' ELSE 'lost' END,
               CASE WHEN close >= 0 THEN ?::DATE + close::INTEGER END,
               CASE WHEN status = 1 THEN 'A' || lpad(lead_no::VARCHAR, 9, '0') END,
               (?::VARCHAR[])[stage + 1]
        FROM lead_chunk""",
        [params[0], *params[1:5], DATA_START, STAGES],
    )
    cur.execute(
        """
        INSERT INTO accounts
        SELECT 'A' || lpad(lead_no::VARCHAR, 9, '0'), 'Account ' || lead_no::VARCHAR,
               (?::VARCHAR[])[segment + 1], (?::VARCHAR[])[region + 1]
        FROM lead_chunk WHERE status = 1""",
        [SEGMENTS, [r[0] for r in REGIONS]],
    )
    cur.execute(
        """
        INSERT INTO deals
        SELECT 'D' || lpad(lead_no::VARCHAR, 9, '0'), 'L' || lpad(lead_no::VARCHAR, 9, '0'),
               'A' || lpad(lead_no::VARCHAR, 9, '0'), (?::VARCHAR[])[rep + 1], ?::DATE + close::INTEGER,
               amount, round(amount * margin, 2), 'new', errors
        FROM lead_chunk WHERE status = 1""",
        [org.rep_ids, DATA_START],
    )
    cur.unregister("lead_chunk")
    call_df = pd.DataFrame(
        {
            "call_no": offset["call"] + np.arange(len(calls["lead"])),
            "lead_no": lead_no[calls["lead"]],
            "rep": calls["rep"],
            "seconds": calls["seconds"],
            "duration": calls["duration"],
            "tags": calls["tags"],
            "score": calls["score"],
        }
    )
    cur.register("call_chunk", call_df)
    cur.execute(
        """
        INSERT INTO calls
        SELECT 'C' || lpad(call_no::VARCHAR, 10, '0'), 'L' || lpad(lead_no::VARCHAR, 9, '0'),
               (?::VARCHAR[])[rep + 1], ?::TIMESTAMP + to_seconds(seconds), duration,
               list_filter(?::VARCHAR[], lambda x, i: (tags >> (i - 1)) & 1 = 1), score
        FROM call_chunk""",
        [org.rep_ids, DATA_START, TALK_TRACKS],
    )
    cur.unregister("call_chunk")
    touch_df = pd.DataFrame(
        {"lead_no": lead_no[touches["lead"]], "channel": touches["channel"], "seconds": touches["seconds"]}
    )
    cur.register("touch_chunk", touch_df)
    cur.execute(
        """
        INSERT INTO touchpoints
        SELECT 'L' || lpad(lead_no::VARCHAR, 9, '0'), ?::TIMESTAMP + to_seconds(seconds),
               (?::VARCHAR[])[channel + 1]
        FROM touch_chunk""",
        [DATA_START, CHANNELS],
    )
    cur.unregister("touch_chunk")
    offset["lead"] += n
    offset["call"] += len(calls["lead"])


def _quarter_index(days: np.ndarray) -> np.ndarray:
    """Quarter number (0 = 2024Q1) of day offsets from DATA_START."""
    dates = pd.to_datetime(DATA_START) + pd.to_timedelta(days, unit="D")
    return ((dates.year - DATA_START.year) * 4 + (dates.month - 1) // 3).to_numpy()


def _targets(total: np.ndarray, ramp: np.ndarray, rep_type: np.ndarray, potential: np.ndarray) -> np.ndarray:
    """Quarterly targets from each rep's territory potential, per role and quarter.

    A rep's quota follows the expected value of the leads their territory receives
    (``potential``: base conversion x typical deal size, no rep skill), so attainment
    still reflects skill; the level is set so that TARGET_BASE_COVERAGE of the role's reps
    reach 80% of target in that quarter.
    """
    per_quarter = potential / np.maximum(ramp.sum(axis=1), 1e-9)
    per_quarter = np.where(per_quarter > 0, per_quarter, np.median(per_quarter[per_quarter > 0]))
    history = per_quarter[:, None] ** TARGET_HISTORY_WEIGHT * ramp
    target = np.zeros_like(total)
    for ti in range(4):
        for qi in range(total.shape[1]):
            active = (rep_type == ti) & (ramp[:, qi] > 0)
            if active.any():
                per_unit = total[active, qi] / history[active, qi]
                target[active, qi] = np.quantile(per_unit, 1 - TARGET_BASE_COVERAGE) / 0.8 * history[active, qi]
    return target


def _renewals_and_targets(
    cur: object, rng: np.random.Generator, org: _Org, quarters: list[Quarter], potential: np.ndarray
) -> dict[str, object]:
    """Legacy accounts, renewals, upsells and targets, with the accelerator side effect."""
    n_days = (DATA_END - DATA_START).days + 1
    new = cur.execute(
        """
        SELECT d.account_id, d.rep_id, datediff('day', ?::DATE, d.signed_at) AS day, d.amount::DOUBLE AS amount,
               a.segment
        FROM deals d JOIN accounts a USING (account_id) ORDER BY d.deal_id""",
        [DATA_START],
    ).df()
    rep_index = {r: i for i, r in enumerate(org.rep_ids)}
    new_rep = new["rep_id"].map(rep_index).to_numpy()
    new_seg = new["segment"].map({s: i for i, s in enumerate(SEGMENTS)}).to_numpy()
    # legacy accounts signed in 2023: their renewals fall due in 2024 and again in 2025
    n_legacy = max(int(0.6 * (new["day"] < 366).sum()), 10)
    leg_seg = rng.choice(4, size=n_legacy, p=[0.30, 0.35, 0.20, 0.15])
    eligible = np.flatnonzero(org.hire_day < 0)
    leg_rep = eligible[rng.integers(0, len(eligible), n_legacy)]
    leg_day = rng.integers(0, 366, n_legacy)
    leg_amount = np.round(SEGMENT_DEAL_MEDIAN[leg_seg] * np.exp(0.5 * rng.standard_normal(n_legacy)), -2)
    leg_ids = [f"AL{i + 1:08d}" for i in range(n_legacy)]
    cur.register(
        "legacy",
        pd.DataFrame(
            {
                "account_id": leg_ids,
                "segment": np.array(SEGMENTS)[leg_seg],
                "region_id": np.array([r[0] for r in REGIONS])[org.rep_region[leg_rep]],
            }
        ),
    )
    cur.execute("INSERT INTO accounts SELECT account_id, 'Legacy ' || account_id, segment, region_id FROM legacy")
    cur.unregister("legacy")
    # renewal candidates: (account, rep, due day, amount, segment, generation)
    acc = np.r_[new["account_id"].to_numpy(), np.array(leg_ids), np.array(leg_ids)]
    rep = np.r_[new_rep, leg_rep, leg_rep]
    due = np.r_[new["day"].to_numpy() + 365, leg_day, leg_day + 365]
    amt = np.r_[new["amount"].to_numpy(), leg_amount, leg_amount]
    seg = np.r_[new_seg, leg_seg, leg_seg]
    second = np.r_[np.zeros(len(new), bool), np.zeros(n_legacy, bool), np.ones(n_legacy, bool)]
    keep = due < n_days
    acc, rep, due, amt, seg, second = acc[keep], rep[keep], due[keep], amt[keep], seg[keep], second[keep]
    u = rng.random(len(acc))
    p = RENEWAL_PROB[seg]
    renew_amount = np.round(amt * rng.uniform(0.85, 1.05, len(acc)), -2)
    # upsells on new deals
    up = rng.random(len(new)) < UPSELL_PROB
    up_day = new["day"].to_numpy() + rng.integers(90, 270, len(new))
    up = up & (up_day < n_days)
    nq = len(quarters)
    # baseline totals per rep-quarter (before the side effect) set the targets
    total = np.zeros((org.n_reps, nq))
    np.add.at(total, (new_rep, _quarter_index(new["day"].to_numpy())), new["amount"].to_numpy())
    base_renew = u < p
    np.add.at(total, (rep[base_renew], _quarter_index(due[base_renew])), renew_amount[base_renew])
    up_amount = np.round(new["amount"].to_numpy() * 0.3, -2)
    np.add.at(total, (new_rep[up], _quarter_index(up_day[up])), up_amount[up])
    # tenure: prorate reps hired during (or shortly before) the quarter
    q_start = np.array([(q.start - DATA_START).days for q in quarters])
    q_len = np.array([(q.end - q.start).days + 1 for q in quarters])
    employed = np.clip((q_start[None, :] + q_len[None, :] - org.hire_day[:, None]) / q_len[None, :], 0, 1)
    ramp = np.where(q_start[None, :] - org.hire_day[:, None] < 180, 0.7, 1.0) * employed
    noise = np.exp(0.05 * rng.standard_normal(total.shape))
    target = _targets(total, ramp, org.rep_type, potential) * noise
    accel = (total > 1.2 * target) & (target > 0)
    # the side effect: accelerator reps let their renewals slip in that quarter
    due_q = _quarter_index(due)
    renewed = u < p - ACCELERATOR_RENEWAL_DROP * accel[rep, due_q]
    # a legacy account's 2025 renewal needs its 2024 renewal
    first_of_legacy = {a: r for a, r, s in zip(acc, renewed, second, strict=True) if not s and a.startswith("AL")}
    renewed = renewed & np.array([not s or first_of_legacy.get(a, False) for a, s in zip(acc, second, strict=True)])
    signed = np.clip(due + rng.integers(-10, 5, len(due)), 0, n_days - 1)
    # quotas are then set on the final run-rate (so the plan's base threshold covers ~80%)
    final = total.copy()
    np.add.at(final, (rep[base_renew], _quarter_index(due[base_renew])), -renew_amount[base_renew])
    np.add.at(final, (rep[renewed], _quarter_index(signed[renewed])), renew_amount[renewed])
    target = np.round(_targets(final, ramp, org.rep_type, potential) * noise, -3)
    renew_df = pd.DataFrame(
        {
            "account_id": acc[renewed],
            "rep": rep[renewed],
            "day": signed[renewed],
            "amount": renew_amount[renewed],
            "deal_type": "renewal",
            "margin": 0.55,
        }
    )
    up_df = pd.DataFrame(
        {
            "account_id": new["account_id"].to_numpy()[up],
            "rep": new_rep[up],
            "day": up_day[up],
            "amount": up_amount[up],
            "deal_type": "upsell",
            "margin": 0.5,
        }
    )
    extra = pd.concat([renew_df, up_df], ignore_index=True)
    extra["deal_no"] = np.arange(len(extra))
    extra["errors"] = rng.poisson(0.05, len(extra))
    cur.register("extra", extra)
    cur.execute(
        """
        INSERT INTO deals
        SELECT 'DR' || lpad(deal_no::VARCHAR, 9, '0'), NULL, account_id, (?::VARCHAR[])[rep + 1],
               ?::DATE + day::INTEGER, amount, round(amount * margin, 2), deal_type, errors
        FROM extra""",
        [org.rep_ids, DATA_START],
    )
    cur.unregister("extra")
    rows = [
        (org.rep_ids[i], str(quarters[qi]), target[i, qi], round(target[i, qi] * 0.42, -2))
        for i in range(org.n_reps)
        for qi in range(nq)
        if target[i, qi] > 0
    ]
    tdf = pd.DataFrame(rows, columns=["rep_id", "quarter", "target_amount", "target_gross_profit"])
    cur.register("tdf", tdf)
    cur.execute("INSERT INTO targets SELECT * FROM tdf")
    cur.unregister("tdf")
    acc_rep = pd.concat(
        [
            pd.DataFrame({"account_id": new["account_id"], "rep": new_rep, "first_day": new["day"], "seg": new_seg}),
            pd.DataFrame({"account_id": leg_ids, "rep": leg_rep, "first_day": 0, "seg": leg_seg}),
        ],
        ignore_index=True,
    )
    return {"accel": accel, "acc_rep": acc_rep, "ramp": ramp}


def _nps(cur: object, rng: np.random.Generator, org: _Org, acc_rep: pd.DataFrame, accel: np.ndarray) -> None:
    """Account NPS responses; accounts of accelerator reps score lower in that quarter."""
    n_days = (DATA_END - DATA_START).days + 1
    k = rng.poisson(1.5, len(acc_rep))
    idx = np.repeat(np.arange(len(acc_rep)), k)
    first = acc_rep["first_day"].to_numpy()[idx]
    day = first + np.floor(rng.random(len(idx)) * np.maximum(n_days - first, 1)).astype(np.int64)
    rep = acc_rep["rep"].to_numpy()[idx]
    seg_adj = np.array([0.0, 0.2, -0.3, 0.1])[acc_rep["seg"].to_numpy()[idx]]
    score = 7.5 + 0.5 * org.skill[rep] + seg_adj - ACCELERATOR_NPS_DROP * accel[rep, _quarter_index(day)]
    score = np.clip(np.round(score + 1.6 * rng.standard_normal(len(idx))), 0, 10).astype(int)
    df = pd.DataFrame({"account_id": acc_rep["account_id"].to_numpy()[idx], "day": day, "score": score})
    df = df.drop_duplicates(["account_id", "day"])
    cur.register("nps_df", df)
    cur.execute("INSERT INTO nps SELECT account_id, ?::DATE + day::INTEGER, score FROM nps_df", [DATA_START])
    cur.unregister("nps_df")


def _rep_metrics(
    cur: object, rng: np.random.Generator, org: _Org, quarters: list[Quarter], accel: np.ndarray, ramp: np.ndarray
) -> None:
    """Behaviour and collaboration metrics per rep per quarter, plus innovation credits."""
    n = org.n_reps
    collab = 0.6 * org.skill + 0.8 * rng.standard_normal(n)
    team_fx = rng.normal(0, 3.0, len(org.team_ids))
    pilot_rep = np.isin(org.rep_team, org.pilot_teams)
    rows: list[pd.DataFrame] = []
    for qi, q in enumerate(quarters):
        active = ramp[:, qi] > 0
        ids = np.array(org.rep_ids)[active]
        sk, co = org.skill[active], collab[active]
        m = active.sum()
        team_q = rng.normal(0, 1.5, len(org.team_ids))[org.rep_team[active]]
        pilot_on = pilot_rep[active] & (q >= PILOT_START)
        values = {
            "solution_innovation": np.clip(3 + 0.5 * sk + 0.6 * rng.standard_normal(m), 1, 5).round(2),
            "complaint_rate": np.clip(
                2.0 - 0.4 * sk + 0.8 * accel[active, qi] + 0.6 * rng.standard_normal(m), 0, None
            ).round(2),
            "approval_error_rate": np.clip(3.0 - 0.8 * sk + 1.0 * rng.standard_normal(m), 0, None).round(2),
            "cross_dept_response_hours": np.exp(np.log(12) - 0.25 * co + 0.3 * rng.standard_normal(m)).round(1),
            "mentoring_hours": np.clip(
                4 + 3 * co + 6 * org.is_lead[active] + 2 * rng.standard_normal(m), 0, None
            ).round(1),
            "peer_review_score": np.clip(3.4 + 0.45 * co + 0.4 * rng.standard_normal(m), 1, 5).round(2),
            "collaboration_score": np.clip(
                60
                + 10 * co
                + team_fx[org.rep_team[active]]
                + team_q
                + PILOT_COLLAB_EFFECT * pilot_on
                + 4 * rng.standard_normal(m),
                0,
                100,
            ).round(1),
            "satisfaction": np.clip(7 + 0.3 * sk + 1.2 * rng.standard_normal(m), 0, 10).round(1),
        }
        ka = org.rep_type[active] == TEAM_TYPES.index("key_account")
        for name, vals in values.items():
            evidence = None
            if name == "peer_review_score":
                peers = rng.integers(0, n, m)
                evidence = [
                    _EVIDENCE[j % len(_EVIDENCE)].format(peer=org.names[p])
                    for j, p in zip(rng.integers(0, len(_EVIDENCE), m), peers, strict=True)
                ]
            rows.append(
                pd.DataFrame({"rep_id": ids, "quarter": str(q), "metric": name, "value": vals, "evidence": evidence})
            )
        strat = np.clip(5 + 1.2 * sk + 1.5 * rng.standard_normal(m), 0, 10).round(1)
        rows.append(
            pd.DataFrame(
                {
                    "rep_id": ids[ka],
                    "quarter": str(q),
                    "metric": "strategic_project_score",
                    "value": strat[ka],
                    "evidence": None,
                }
            )
        )
    df = pd.concat(rows, ignore_index=True)
    cur.register("metrics_df", df)
    cur.execute("INSERT INTO rep_metrics SELECT rep_id, quarter, metric, value, evidence FROM metrics_df")
    cur.unregister("metrics_df")
    inn = []
    ideas = [
        "New WeChat mini-program lead channel",
        "Renewal early-warning checklist",
        "Cheaper webinar funnel",
        "Partner co-selling playbook",
        "Churn-risk call script",
    ]
    for qi, q in enumerate(quarters):
        hit = (ramp[:, qi] > 0) & (rng.random(n) < _sigmoid(-3.0 + 0.6 * org.skill))
        for i in np.flatnonzero(hit):
            inn.append((org.rep_ids[i], str(q), float(rng.integers(1, 6)), ideas[int(rng.integers(0, len(ideas)))]))
    idf = pd.DataFrame(inn, columns=["rep_id", "quarter", "points", "description"]).drop_duplicates(
        ["rep_id", "quarter", "description"]
    )
    cur.register("inn_df", idf)
    cur.execute("INSERT INTO innovations SELECT * FROM inn_df")
    cur.unregister("inn_df")


def _entities(cur: object, org: _Org) -> None:
    """Insert regions, teams, reps and display names."""
    cur.executemany("INSERT INTO regions VALUES (?, ?)", [(r[0], r[1]) for r in REGIONS])
    pilot_ids = {org.team_ids[i] for i in org.pilot_teams}
    cur.executemany(
        "INSERT INTO teams VALUES (?, ?, ?, ?, ?, ?)",
        [
            (
                tid,
                org.team_names[i],
                REGIONS[org.team_region[i]][0],
                TEAM_TYPES[org.team_type[i]],
                tid in pilot_ids,
                str(PILOT_START) if tid in pilot_ids else None,
            )
            for i, tid in enumerate(org.team_ids)
        ],
    )
    reps = pd.DataFrame(
        {
            "rep_id": org.rep_ids,
            "rep_name": org.names,
            "team_id": np.array(org.team_ids)[org.rep_team],
            "role": np.array(TEAM_TYPES)[org.rep_type],
            "hire_day": org.hire_day,
            "salary": org.salary,
            "manager_id": [None if org.is_lead[i] else org.rep_ids[org.manager[i]] for i in range(org.n_reps)],
        }
    )
    cur.register("reps_df", reps)
    cur.execute(
        """INSERT INTO reps SELECT rep_id, rep_name, team_id, role, ?::DATE + hire_day::INTEGER, salary,
                   manager_id FROM reps_df""",
        [DATA_START],
    )
    cur.unregister("reps_df")
    names = [("region", r[0], "zh", r[2]) for r in REGIONS] + [("region", r[0], "en", r[1]) for r in REGIONS]
    names += [("team", tid, "zh", org.team_names_zh[i]) for i, tid in enumerate(org.team_ids)]
    names += [("segment", s, "zh", SEGMENT_NAMES_ZH[s]) for s in SEGMENTS]
    names += [("segment", s, "en", s.replace("_", " ").title().replace("Smb", "SMB")) for s in SEGMENTS]
    names += [("source", s, "zh", SOURCE_NAMES_ZH[s]) for s in SOURCES]
    names += [("talk_track", s, "zh", TALK_TRACK_NAMES_ZH[s]) for s in TALK_TRACKS]
    names += [("channel", c, "zh", CHANNEL_NAMES_ZH[c]) for c in CHANNELS]
    cur.executemany("INSERT INTO display_names VALUES (?, ?, ?, ?)", names)


def planted_truth(org_pilots: list[str], drops: list[dict[str, object]]) -> dict[str, object]:
    """The planted effects as a JSON-ready dict (stored in store_info['planted'])."""
    return {
        "referral_ratio": REFERRAL_RATIO,
        "public_sources": list(PUBLIC_SOURCES),
        "talk_track": {
            "tag": "product_scenario",
            "relative_lift": PRODUCT_SCENARIO_LIFT,
            "null_tags": [t for t in TALK_TRACKS if t != "product_scenario"],
        },
        "drops": [
            {
                "region_id": d["region_id"],
                "week_start": str(d["week_start"]),
                "segment": d["segment"],
                "share_of_wins_lost": DROP_SHARE,
            }
            for d in drops
        ],
        "pilot": {
            "teams": org_pilots,
            "start_quarter": str(PILOT_START),
            "collaboration_score_effect": PILOT_COLLAB_EFFECT,
            "conversion_multiplier": PILOT_CONVERSION_MULT,
        },
        "accelerator_side_effect": {
            "renewal_probability_drop": ACCELERATOR_RENEWAL_DROP,
            "nps_drop": ACCELERATOR_NPS_DROP,
            "complaint_rate_increase": 0.8,
        },
        "holidays": [[str(a), str(b)] for a, b in HOLIDAYS],
    }


def generate(
    store: Store,
    *,
    seed: int = 7,
    n_leads: int = 250_000,
    n_drops: int = 3,
    progress: Callable[[float, str], None] | None = None,
) -> DemoResult:
    """Fill an empty store with the demo organisation.

    Parameters
    ----------
    store
        A migrated store whose data tables are empty.
    seed
        Random seed; the same seed and size give identical tables.
    n_leads
        Number of leads (reps scale with it: one per ~830 leads, at least 30).
    n_drops
        Number of planted region-week drops.
    progress
        Optional callback ``(fraction_done, message)``.
    """
    if n_leads < 1000:
        raise ValueError(f"--leads {n_leads} is too small for a meaningful demo; use at least 1000.")
    if any(store.table_counts().values()):
        raise StoreError(f"The store {store.path} already holds data; generate the demo into a new file.")
    t0 = time.perf_counter()
    say = progress or (lambda f, m: None)
    rng = np.random.default_rng([seed, 0])
    n_reps = int(np.clip(n_leads // LEADS_PER_REP, 30, 20_000))
    org = _Org(rng, n_reps)
    drops = _drop_plan(np.random.default_rng([seed, 1]), org, n_drops)
    quarters = quarters_between(DATA_START, DATA_END)
    days = np.array([DATA_START + timedelta(days=i) for i in range((DATA_END - DATA_START).days + 1)])
    day_w = _day_weights(days)
    # One transaction per step keeps memory flat at 10M leads; the CLI builds into a temporary
    # file and renames it when done, so a failed build never leaves a half-built store behind.
    with store.transaction() as cur:
        _entities(cur, org)
    offset = {"lead": 1, "call": 1}
    potential = np.zeros(org.n_reps)
    n_chunks = -(-n_leads // CHUNK_LEADS)
    for c in range(n_chunks):
        size = min(CHUNK_LEADS, n_leads - c * CHUNK_LEADS)
        crng = np.random.default_rng([seed, 100 + c])
        leads = _leads_chunk(crng, org, size, day_w, drops)
        calls = _calls_chunk(crng, leads, len(days), drops)
        touches = _touches_chunk(crng, leads, len(days))
        with store.transaction() as cur:
            _insert_chunk(cur, org, offset, leads, calls, touches)
        value = (
            SEGMENT_BASE_RATE[leads["segment"]] * SOURCE_MULT[leads["source"]] * SEGMENT_DEAL_MEDIAN[leads["segment"]]
        )
        potential += np.bincount(leads["rep"], weights=value, minlength=org.n_reps)
        say((c + 1) / (n_chunks + 1), f"leads {offset['lead'] - 1:,} of {n_leads:,}")
    prng = np.random.default_rng([seed, 2])
    with store.transaction() as cur:
        extra = _renewals_and_targets(cur, prng, org, quarters, potential)
        _nps(cur, prng, org, extra["acc_rep"], extra["accel"])  # type: ignore[arg-type]
        _rep_metrics(cur, prng, org, quarters, extra["accel"], extra["ramp"])  # type: ignore[arg-type]
        info = {
            "demo_seed": str(seed),
            "demo_leads": str(n_leads),
            "data_start": str(DATA_START),
            "data_end": str(DATA_END),
            "currency": "CNY",
            "planted": json.dumps(planted_truth([org.team_ids[i] for i in org.pilot_teams], drops)),
        }
        cur.executemany("INSERT INTO store_info VALUES (?, ?)", list(info.items()))
    say(1.0, "done")
    return DemoResult(counts=store.table_counts(), seconds=time.perf_counter() - t0)
