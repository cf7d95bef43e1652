"""The browser benchmark's instrument (tests.e2e.harness.measure_move) on the floor app.

bench/floor_app.py is served by the real server; its slider moves one chart by a known amount
(``effect``), so the redraw detector's verdict is known in advance: a change of one bar by a
millionth is a redraw, a move that leaves the chart as it was is ``unchanged`` and is reported
as soon as the page settles (not after a long timeout).
"""

from __future__ import annotations

import atexit
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.conftest import ARTIFACTS
from tests.e2e.harness import (
    CANVAS_PIXELS_JS,
    MOVE_CHANGED,
    MOVE_UNCHANGED,
    Server,
    goto,
    labelled,
    measure_move,
)

FLOOR_CANVAS = '[data-testid="stEChartsChart"] canvas'


@pytest.fixture(scope="module")
def floor(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The floor app on its own real server (it reads no store)."""
    folder = tmp_path_factory.mktemp("floor")
    srv = Server(
        folder / "unused.duckdb",
        log_path=ARTIFACTS / "logs" / f"server-floor-{folder.name}.log",
        script="bench/floor_app.py",
    )
    atexit.register(srv.stop)
    srv.start()
    yield srv
    srv.stop()


def open_floor(page: Any, floor: Server, query: str) -> Any:
    """Open the floor with ``query``; the slider's thumb, focused."""
    goto(page, f"{floor.url}/?{query}")
    thumb = labelled(page, "stSlider", "Floor slider").get_by_role("slider")
    thumb.focus()
    return thumb


def canvas_pixels(page: Any) -> str:
    return page.evaluate(f"(sel) => ({CANVAS_PIXELS_JS})(document.querySelector(sel))", FLOOR_CANVAS)


@pytest.mark.parametrize(
    ("chart", "how"), [("cost", "data"), ("migration", "data"), ("band", "svg")], ids=["cost", "migration", "band"]
)
def test_one_step_of_the_floor_slider_is_a_redraw(page: Any, floor: Server, chart: str, how: str) -> None:
    thumb = open_floor(page, floor, f"chart={chart}")
    move = measure_move(page, lambda: thumb.press("ArrowRight"), server=floor)
    assert move.status == MOVE_CHANGED
    # a Plotly chart can briefly have a second element under its key (``floor_chart#2``)
    assert {k.split("#")[0] for k in move.charts} == {"floor_chart"}
    assert set(move.how.values()) == {how}
    assert move.first_chart_s == min(v for v in move.charts.values() if v is not None)
    assert 0 < move.first_chart_s <= move.settled_s
    assert move.server_cpu_s is not None and move.server_cpu_s >= 0
    assert thumb.input_value() == "20.5"


def test_a_bar_changed_by_a_millionth_is_a_redraw(page: Any, floor: Server) -> None:
    thumb = open_floor(page, floor, "chart=cost&effect=tiny")
    move = measure_move(page, lambda: thumb.press("ArrowRight"))
    assert move.status == MOVE_CHANGED
    assert move.how == {"floor_chart": "data"}


def test_a_bar_changed_by_a_pixel_changes_the_canvas_pixels(page: Any, floor: Server) -> None:
    """The pixel fallback (every pixel, not a downscale) sees a one-step move of one bar."""
    thumb = open_floor(page, floor, "chart=cost")
    before = canvas_pixels(page)
    assert measure_move(page, lambda: thumb.press("ArrowRight")).status == MOVE_CHANGED
    assert canvas_pixels(page) != before


def test_a_move_that_changes_nothing_in_the_chart_is_reported_unchanged_at_once(page: Any, floor: Server) -> None:
    thumb = open_floor(page, floor, "chart=cost&effect=none")
    move = measure_move(page, lambda: thumb.press("ArrowRight"))
    assert move.status == MOVE_UNCHANGED  # the page settled: not "timeout", not waited out
    assert move.first_chart_s is None and move.charts == {"floor_chart": None}
    assert move.settled_s is not None
