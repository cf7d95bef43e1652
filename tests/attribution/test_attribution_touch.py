"""Multi-touch attribution: every model against hand-worked journeys, the chain against a second
implementation, Shapley exact vs brute force and sampled vs exact, the bootstrap, and the
journeys DuckDB builds."""

from __future__ import annotations

import itertools
from datetime import date

import numpy as np
import pytest

from analytics.access import Scope
from analytics.attribution import chain
from analytics.attribution import touch as at
from analytics.filters import Filters
from analytics.store import Store
from tests.attribution.test_attribution import WINDOW, add_lead, hand_store

LEADER = Scope.leader()


def credits(j: at.Journeys, model: str, **kw) -> dict[str, tuple[float, float, float]]:
    """channel -> (conversions credit, revenue credit, share) without intervals."""
    frame = at.credit(j, model, bootstrap_reps=0, **kw)
    return {
        c: (a, b, s)
        for c, a, b, s in frame[["channel", "conversions_credit", "revenue_credit", "share"]].itertuples(index=False)
    }


# Worked example (docs/methods/attribution.md): J1 = A > B converts (revenue 100, A 14 days and B
# 0 days before the close), J2 = A converts (revenue 300), J3 = B does not convert.
# Chain: start -> A 2/3, start -> B 1/3; A -> B 1/2, A -> conv 1/2; B -> conv 1/2, B -> null 1/2.
# P(conv) = 2/3 (3/4) + 1/3 (1/2) = 2/3.  Without A: 1/3 (1/2) = 1/6 -> RE_A = 3/4.
# Without B: 2/3 (1/2) = 1/3 -> RE_B = 1/2.  Shares 3/5 and 2/5 of 2 conversions.
# Revenue per journey: A pays 300/2 per visit, B 100/2: V = 2/3 (1/2 50 + 150) + 1/3 50 = 400/3;
# without A 50/3 (RE 7/8), without B 100 (RE 1/4): shares 7/9 and 2/9 of 400.
# Shapley on v: v(A) = 1/3, v(B) = 1/6, v(AB) = 2/3 -> phi_A = 5/12, phi_B = 1/4 (x 3 journeys);
# revenue: V(A) = 100, V(B) = 50/3, V(AB) = 400/3 -> phi_A = 325/3, phi_B = 25 (x 3).
@pytest.fixture
def worked() -> at.Journeys:
    return at.journeys_from_paths(
        [["A", "B"], ["A"], ["B"]], [True, True, False], revenue=[100, 300, 0], days=[[14, 0], [3], [0]]
    )


EXPECTED = {
    "first": {"A": (2, 400), "B": (0, 0)},
    "last": {"A": (1, 300), "B": (1, 100)},
    "linear": {"A": (1.5, 350), "B": (0.5, 50)},
    "time_decay": {"A": (1.2, 320), "B": (0.8, 80)},  # J1: weights 2^-2 : 1 -> 0.2 / 0.8
    "position": {"A": (1.5, 350), "B": (0.5, 50)},  # two touches: 40:40 -> 50/50
    "w_shaped": {"A": (1.5, 350), "B": (0.5, 50)},
    "markov": {"A": (6 / 5, 400 * 7 / 9), "B": (4 / 5, 400 * 2 / 9)},
    "shapley": {"A": (5 / 4, 325), "B": (3 / 4, 75)},
}


@pytest.mark.parametrize("model", at.MODELS)
def test_every_model_on_the_worked_example(worked, model):
    got = credits(worked, model)
    for channel, (conv, rev) in EXPECTED[model].items():
        assert got[channel][0] == pytest.approx(conv), channel
        assert got[channel][1] == pytest.approx(rev), channel
        assert got[channel][2] == pytest.approx(conv / 2)
    revenue_share = credits(worked, model, value="revenue")
    assert revenue_share["A"][2] == pytest.approx(EXPECTED[model]["A"][1] / 400)


def test_the_three_journey_markov_example():
    # A > B converts, A does not, B converts: P = 2/3; without A 1/3 (RE 1/2); without B 0 (RE 1)
    j = at.journeys_from_paths([["A", "B"], ["A"], ["B"]], [True, False, True])
    got = credits(j, "markov")
    assert got["A"][0] == pytest.approx(2 / 3) and got["B"][0] == pytest.approx(4 / 3)


def test_rule_weights_on_longer_paths():
    offsets = np.array([0, 1, 3, 6, 10, 15])  # paths of 1, 2, 3, 4 and 5 touches
    pos = at.rule_weights("position", offsets, position_weights=(0.4, 0.4))
    assert pos.tolist() == pytest.approx(
        [1, 0.5, 0.5, 0.4, 0.2, 0.4, 0.4, 0.1, 0.1, 0.4, 0.4, 0.2 / 3, 0.2 / 3, 0.2 / 3, 0.4]
    )
    pos = at.rule_weights("position", offsets, position_weights=(0.3, 0.5))
    assert pos[1:3].tolist() == pytest.approx([0.375, 0.625]) and pos[3:6].tolist() == pytest.approx([0.3, 0.2, 0.5])
    w = at.rule_weights("w_shaped", offsets)
    assert w.tolist() == pytest.approx(
        [1, 0.5, 0.5, 1 / 3, 1 / 3, 1 / 3, 0.3, 0.3, 0.1, 0.3, 0.3, 0.05, 0.3, 0.05, 0.3]
    )
    assert at.rule_weights("linear", offsets)[6:10].tolist() == [0.25] * 4
    days = np.array([0, 7, 0, 14, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], float)
    td = at.rule_weights("time_decay", offsets, days=days, half_life_days=7)
    assert td[1:3].tolist() == pytest.approx([1 / 3, 2 / 3]) and td[3:6].tolist() == pytest.approx(
        [1 / 7, 2 / 7, 4 / 7]
    )
    for model in at.HEURISTIC_MODELS:
        weights = at.rule_weights(model, offsets, days=days)
        assert np.bincount(np.repeat(np.arange(5), np.diff(offsets)), weights=weights) == pytest.approx(np.ones(5))
    with pytest.raises(ValueError, match="Position weights"):
        at.rule_weights("position", offsets, position_weights=(0.7, 0.5))


def random_journeys(k: int, n: int, seed: int) -> at.Journeys:
    rng = np.random.default_rng(seed)
    names = [f"c{i:02d}" for i in range(k)]
    lift = rng.uniform(0.0, 0.3, k)
    paths, conv, rev = [], [], []
    for _ in range(n):
        path = [names[i] for i in rng.integers(0, k, rng.integers(1, 6))]
        p = 0.05 + sum(lift[names.index(c)] for c in set(path)) / 3
        paths.append(path)
        conv.append(bool(rng.random() < min(p, 0.9)))
        rev.append(float(rng.lognormal(8, 1)) if conv[-1] else 0.0)
    return at.journeys_from_paths(paths, conv, revenue=rev)


def worth_by_inverse(j: at.Journeys, keep: set[int]) -> tuple[float, float]:
    """Conversion probability and revenue per journey of the chain with only ``keep`` left,
    from the full fundamental matrix N = (I - Q)^-1 and B = N R (a second implementation)."""
    k = len(j.channels)
    counts = np.zeros((k + 3, k + 3))
    rev = np.zeros(k + 1)
    for r in range(len(j.row_journeys)):
        states = [0, *(j.row_touches[j.row_offsets[r] : j.row_offsets[r + 1]] + 1)]
        end = k + 1 if j.row_converted[r] else k + 2
        for a, b in zip(states, [*states[1:], end], strict=True):
            counts[a, b] += j.row_journeys[r]
    for i in range(j.n_conversions):
        rev[j.conv_touches[j.conv_offsets[i + 1] - 1] + 1] += j.conv_value[i]
    for c in range(k):
        if c not in keep:  # transitions into a removed channel go to null
            counts[:, k + 2] += counts[:, c + 1]
            counts[:, c + 1] = 0
    out = counts.sum(axis=1)
    p = counts / np.where(out > 0, out, 1)[:, None]
    fundamental = np.linalg.inv(np.eye(k + 1) - p[: k + 1, : k + 1])
    conv = (fundamental @ p[: k + 1, k + 1])[0]
    value = (fundamental @ (rev / np.where(out[: k + 1] > 0, out[: k + 1], 1)))[0]
    return conv, value


def test_chain_values_match_the_fundamental_matrix_and_removal_effects_are_never_negative():
    j = random_journeys(6, 400, seed=5)
    k = len(j.channels)
    counts, rev = at._chain_inputs(
        j, at._setup(j, ("markov",), 7, (0.4, 0.4), 12, 10, 0), j.row_journeys[None, :], np.ones((1, j.n_conversions))
    )
    masks = chain._all_masks(k)
    values = at.chain_values(counts, rev, masks)[0]
    for m in range(0, 2**k, 7):
        expected = worth_by_inverse(j, {i for i in range(k) if masks[m, i]})
        assert values[m] == pytest.approx(expected)
    assert values[-1, 0] == pytest.approx(j.n_conversions / j.n_journeys)  # the chain reproduces the rate
    assert values[-1, 1] == pytest.approx(j.revenue / j.n_journeys)
    re = at.removal_effects(at.chain_values(counts, rev, chain._removal_masks(k)))
    assert (re >= 0).all() and (re <= 1).all()
    first, second = at.credit(j, "markov", bootstrap_reps=20), at.credit(j, "markov", bootstrap_reps=20)
    assert first.equals(second)  # deterministic, intervals included


def test_shapley_exact_equals_brute_force_over_all_orders():
    j = random_journeys(4, 300, seed=8)
    k = len(j.channels)
    worth = {}
    for size in range(k + 1):
        for coalition in itertools.combinations(range(k), size):
            worth[frozenset(coalition)] = worth_by_inverse(j, set(coalition))[0]
    phi = np.zeros(k)
    orders = list(itertools.permutations(range(k)))
    for order in orders:
        seen: set[int] = set()
        for c in order:
            phi[c] += worth[frozenset(seen | {c})] - worth[frozenset(seen)]
            seen.add(c)
    phi /= len(orders)
    got = at.credit(j, "shapley", bootstrap_reps=0)
    assert got["conversions_credit"].to_numpy() == pytest.approx(phi * j.n_journeys)
    assert got["conversions_credit"].sum() == pytest.approx(j.n_conversions)  # efficiency
    assert got["revenue_credit"].sum() == pytest.approx(j.revenue)
    assert (got["conversions_credit"] >= 0).all()


def test_sampled_shapley_is_within_its_error_of_the_exact_value():
    j = random_journeys(10, 3000, seed=2)
    exact = at.credit(j, "shapley", bootstrap_reps=0)
    sampled = at.credit(j, "shapley", bootstrap_reps=0, exact_max=5, permutations=400)
    assert exact["share_se_sampling"].isna().all()
    se = sampled["share_se_sampling"].to_numpy()
    assert (se > 0).all() and (se < 0.02).all()
    z = (sampled["share"] - exact["share"]).to_numpy() / se
    assert np.abs(z).max() < 4
    assert sampled["conversions_credit"].sum() == pytest.approx(j.n_conversions)


def test_more_than_twelve_channels_are_sampled_with_bootstrap_intervals():
    j = random_journeys(14, 1500, seed=4)
    got = at.credit(j, "shapley", bootstrap_reps=20, permutations=200)
    assert len(got) == 14 and got["share_se_sampling"].notna().all()
    assert got["conversions_credit"].sum() == pytest.approx(j.n_conversions)
    assert (got["share_lo"] <= got["share_hi"]).all()


def test_bootstrap_interval_width_matches_the_binomial_for_first_touch():
    # first-touch share of A is a proportion of the converting journeys: its bootstrap SD is
    # close to sqrt(p (1 - p) / conversions)
    rng = np.random.default_rng(7)
    n = 4000
    first = rng.choice(["A", "B", "C"], n, p=[0.5, 0.3, 0.2])
    paths = [[f, *rng.choice(["A", "B", "C"], rng.integers(0, 3))] for f in first]
    converted = list(rng.random(n) < 0.3)
    j = at.journeys_from_paths(paths, converted)
    got = at.credit(j, "first", bootstrap_reps=400, seed=1).set_index("channel")
    p = got.loc["A", "share"]
    half_width = (got.loc["A", "share_hi"] - got.loc["A", "share_lo"]) / 2
    assert half_width == pytest.approx(1.96 * np.sqrt(p * (1 - p) / j.n_conversions), rel=0.2)
    assert (got["share_lo"] <= got["share"]).all() and (got["share"] <= got["share_hi"]).all()


def test_zero_conversions_and_no_journeys_do_not_fail():
    j = at.journeys_from_paths([["A", "B"], ["B"]], [False, False])
    got = at.credit(j, "markov", bootstrap_reps=10)
    assert (got["conversions_credit"] == 0).all() and got["share"].isna().all()
    for model in at.MODELS:
        assert (at.credit(j, model, bootstrap_reps=5)["conversions_credit"] == 0).all()
    empty = at.journeys_from_paths([], [])
    assert list(at.credit(empty, "shapley").columns) == [*at.TOUCH_COLUMNS, "share_se_sampling"]
    assert at.credit(empty, "shapley").empty


def test_bad_options_are_sentences():
    j = at.journeys_from_paths([["A"]], [True])
    with pytest.raises(ValueError, match="'nope' is not a model"):
        at.credit(j, "nope")
    with pytest.raises(ValueError, match="not a credit value"):
        at.credit(j, "first", value="profit")
    with pytest.raises(ValueError, match="half-life must be positive"):
        at.credit(j, "time_decay", half_life_days=0)


# -- journeys built in DuckDB -----------------------------------------------------------------------


@pytest.fixture
def touch_store(empty_store: Store) -> Store:
    store = hand_store(empty_store)
    rows = [
        ("W1", "2024-12-28 10:00", "organic_search"),
        ("W1", "2025-01-05 09:00", "email"),
        ("W1", "2025-01-11 15:00", "webinar"),  # on the close date: kept
        ("W1", "2025-01-12 09:00", "display"),  # after the close: dropped
        ("W3", "2025-01-01 10:00", "paid_search"),
        ("W3", "2025-01-01 10:00", "email"),  # a tie: by channel
        ("W5", "2025-01-01 08:00", "organic_search"),
        ("W5", "2025-03-01 08:00", "email"),
        ("W6", "2025-01-02 08:00", "organic_search"),
        ("W6", "2025-01-03 08:00", "organic_search"),
        ("W6", "2025-01-04 08:00", "email"),  # same chain row as W5 once the repeat is merged
        ("R1", "2024-12-30 12:00", "referral"),
        ("X1", "2024-12-21 12:00", "referral"),  # lead created outside the window
    ]
    for lead, ts, channel in rows:
        store.execute("INSERT INTO touchpoints VALUES (?, ?::TIMESTAMP, ?)", [lead, ts, channel])
    return store


def decode(j: at.Journeys) -> tuple[list, list]:
    conv = []
    for i in range(j.n_conversions):
        path = tuple(j.channels[c] for c in j.conv_touches[j.conv_offsets[i] : j.conv_offsets[i + 1]])
        conv.append((path, j.conv_value[i], tuple(j.conv_days[j.conv_offsets[i] : j.conv_offsets[i + 1]])))
    rows = []
    for r in range(len(j.row_journeys)):
        path = tuple(j.channels[c] for c in j.row_touches[j.row_offsets[r] : j.row_offsets[r + 1]])
        rows.append((path, bool(j.row_converted[r]), int(j.row_journeys[r])))
    return sorted(conv), sorted(rows)


def test_journeys_from_duckdb(touch_store):
    j = at.build_journeys(touch_store, WINDOW, LEADER)
    conv, rows = decode(j)
    assert conv == [
        (("organic_search", "email", "webinar"), 100.0, (14.0, 6.0, 0.0)),
        (("referral",), 1000.0, (7.0,)),
    ]
    assert rows == [
        (("email", "paid_search"), False, 1),
        (("organic_search", "email"), False, 2),
        (("organic_search", "email", "webinar"), True, 1),
        (("referral",), True, 1),
    ]
    assert (j.n_journeys, j.n_conversions, j.revenue, j.touches) == (5, 2, 1100.0, 11)
    assert set(j.channels) == {"email", "organic_search", "paid_search", "referral", "webinar"}


def test_touch_credit_on_the_store_and_empty_selections(touch_store):
    got = at.touch_credit(touch_store, WINDOW, LEADER, model="first", bootstrap_reps=0).set_index("channel")
    assert got.loc["organic_search", "conversions_credit"] == 1 and got.loc["referral", "revenue_credit"] == 1000
    none = at.touch_credit(touch_store, Filters(start=date(2023, 1, 1), end=date(2023, 1, 31)), LEADER, model="markov")
    assert none.empty and list(none.columns) == [*at.TOUCH_COLUMNS, "share_se_sampling"]
    comparison = at.compare_models(touch_store, WINDOW, LEADER, bootstrap_reps=0)
    assert comparison.journeys == 5 and comparison.conversions == 2 and not comparison.shapley_sampled
    assert set(comparison.credits["model"]) == set(at.MODELS)
    south = Filters(start=WINDOW.start, end=WINDOW.end, region_ids=("R2",))
    add_lead(touch_store, "S9", "2025-01-01", "website", "won", "2025-01-02", region="R2", rep="S2", amount=5)
    empty = at.compare_models(touch_store, south, LEADER, bootstrap_reps=10)
    assert empty.journeys == 0 and empty.credits.empty


def test_demo_journeys_match_plain_counts(demo_store):
    f = Filters(start=date(2025, 4, 1), end=date(2025, 6, 30))
    j = at.build_journeys(demo_store, f, LEADER)
    plain = demo_store.query(
        "SELECT count(DISTINCT l.lead_id) AS journeys,"
        " count(DISTINCT l.lead_id) FILTER (WHERE l.status = 'won') AS conversions,"
        " count(*) FILTER (WHERE l.closed_at IS NULL OR CAST(t.touched_at AS DATE) <= l.closed_at) AS touches"
        " FROM leads l JOIN touchpoints t USING (lead_id) WHERE l.created_at BETWEEN ? AND ?",
        [f.start, f.end],
    ).iloc[0]
    assert (j.n_journeys, j.n_conversions, j.touches) == (plain["journeys"], plain["conversions"], plain["touches"])
    comparison = at.compare_models(demo_store, f, LEADER, bootstrap_reps=50)
    for model, grp in comparison.credits.groupby("model"):
        assert grp["conversions_credit"].sum() == pytest.approx(j.n_conversions), model
        assert grp["share"].sum() == pytest.approx(1.0), model
        assert (grp["share_lo"] <= grp["share"] + 1e-12).all() and (grp["share"] <= grp["share_hi"] + 1e-12).all()
