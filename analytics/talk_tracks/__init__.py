"""Talk-track impact (adjusted effects) and the key drivers of top performers.

Public API: :func:`impact` and its result (:mod:`~analytics.talk_tracks.effects`), the
estimator :func:`aipw` (:mod:`~analytics.talk_tracks.estimator`), the lead table
(:mod:`~analytics.talk_tracks.leads`), the findings' labels callback
(:mod:`~analytics.talk_tracks.statements`) and the key drivers of top performers
(:mod:`analytics.talk_tracks.drivers`).
"""

from analytics.talk_tracks.effects import (
    EFFECT_COLUMNS,
    MIN_GROUP_LEADS,
    OPEN_SHARE_WARNING,
    TalkTrackImpact,
    impact,
    sample_note,
)
from analytics.talk_tracks.estimator import N_FOLDS, TRIM, AipwEstimate, aipw, one_hot, standardised_difference
from analytics.talk_tracks.leads import closed_leads, lead_table
from analytics.talk_tracks.statements import ADJUSTED_FOR, finding_labels

__all__ = [
    "ADJUSTED_FOR",
    "EFFECT_COLUMNS",
    "MIN_GROUP_LEADS",
    "N_FOLDS",
    "OPEN_SHARE_WARNING",
    "TRIM",
    "AipwEstimate",
    "TalkTrackImpact",
    "aipw",
    "closed_leads",
    "finding_labels",
    "impact",
    "lead_table",
    "one_hot",
    "sample_note",
    "standardised_difference",
]
