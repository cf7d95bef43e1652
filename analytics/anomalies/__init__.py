"""Anomalous region-weeks and their explanation (mix vs rate, segments, behaviour).

Modules: ``metrics`` (what is watched), ``panel`` (the weekly query), ``laws`` and
``estimator`` (the detector), ``detector`` (flagged unit-weeks of a period),
``shift_share`` (the Shapley decomposition), ``behaviour`` (source / rep aggregates and
behaviour deltas), ``summary`` (findings), ``explain`` (one unit-week, all of the above).
"""

from analytics.anomalies import explain
from analytics.anomalies.detector import ANOMALY_COLUMNS, Detection, detect, find_anomalies, fit_detector
from analytics.anomalies.estimator import WeeklyAnomalyDetector
from analytics.anomalies.explain import ExplainError, Explanation
from analytics.anomalies.laws import adjusted_threshold, binom_midp_z, nbinom_midp_z, translated_gamma
from analytics.anomalies.metrics import (
    DEFAULT_METRIC,
    DEFAULT_SENSITIVITY,
    LEVEL_COLUMNS,
    METRICS,
    NO_SEGMENT,
    TOTAL,
    Metric,
    level_column,
    metric_spec,
)
from analytics.anomalies.panel import detector_input, weekly_panel
from analytics.anomalies.shift_share import Decomposition, decompose, segment_driver, shapley_products
from analytics.anomalies.summary import finding_labels, summarise

__all__ = [
    "ANOMALY_COLUMNS",
    "DEFAULT_METRIC",
    "DEFAULT_SENSITIVITY",
    "LEVEL_COLUMNS",
    "METRICS",
    "NO_SEGMENT",
    "TOTAL",
    "Decomposition",
    "Detection",
    "ExplainError",
    "Explanation",
    "Metric",
    "WeeklyAnomalyDetector",
    "adjusted_threshold",
    "binom_midp_z",
    "decompose",
    "detect",
    "detector_input",
    "explain",
    "find_anomalies",
    "finding_labels",
    "fit_detector",
    "level_column",
    "metric_spec",
    "nbinom_midp_z",
    "segment_driver",
    "shapley_products",
    "summarise",
    "translated_gamma",
    "weekly_panel",
]
