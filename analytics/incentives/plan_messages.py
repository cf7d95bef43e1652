"""Plan validation errors as message ids, so pages can show them in Chinese.

:class:`analytics.incentives.plans.PlanError` messages are English sentences (the CLI prints them, and
they name TOML fields). This module lists their templates as gettext message ids (Chinese
in ``locales/zh/LC_MESSAGES/incentives.po``) and translates a finished message by matching
it (:class:`analytics.i18n.SentenceTemplates`); field paths, values and the names in a list
stay as written. ``Plan field {path}: {problem}`` is translated in two steps, the problem
with :data:`FIELD_PROBLEMS`. An unknown message stays English.

tests/incentives/test_plans_i18n.py checks that every ``PlanError`` text in
analytics/incentives/plans/ is covered and that each template has a Chinese translation.
"""

from __future__ import annotations

from analytics.i18n import OR_LIST, SentenceTemplates, translate

__all__ = ["FIELD_PROBLEMS", "PLAN_ERRORS", "all_msgids", "plan_name", "translate_plan_error"]

#: The word for an empty list (``found none``).
NONE = SentenceTemplates(["none"])

#: What is wrong with one plan field (the ``problem`` of ``Plan field {path}: {problem}``).
FIELD_PROBLEMS = SentenceTemplates(
    [
        "must be a number, not {value}.",
        "must be positive, not {value}.",
        "must be zero or more (negative values are not allowed), not {value}.",
        "must be at least {low}, not {value}.",
        "must be at most {high}, not {value}.",
        "'{dimension}' is not a scorecard dimension; use {dimensions}.",
        "the dimension weights sum to {total}; they must sum to 1.",
        "'{metric}' is not a known metric; known metrics are {metrics}.",
        "{metric} is a {dimension} metric; move it to [{section}].",
        "the metric weights inside {dimension} sum to {total}; they must sum to 1.",
        "{dimension} has weight {weight} but no metrics; give it metric weights or set its weight to 0.",
        "'{value}' is not a method; use one of {methods}.",
        "give a minimum score for exactly the grades {grades} (D is everything below C); found {found}.",
        "the minimum score of {grade} ({score}) must be below that of {previous} ({previous_score}).",
        "give a share for exactly the grades {grades}; found {found}.",
        "the grade shares sum to {total}; they must sum to 1.",
        "give the plan a non-empty name.",
        "list at least one deal type ({types}).",
        "'{value}' is not a deal type; use {types}.",
        "'{value}' is not a mode; use {modes}.",
        "give at least one tier with 'from' and 'rate'.",
        "tier breaks must increase, but {value} follows {previous}; order the tiers by their 'from' attainment.",
        "give exactly one of base_amount (a fixed amount of money) or base_share_of_target (share of the quarter's total target).",
        "must be a table ([{path}]), not {value}.",
        "'{key}' is not a field of [{section}]; the fields are {fields}.",
        "must be text in quotes, not {value}.",
        "must be a table of name = weight, not {value}.",
        "must be a table of dimensions, not {value}.",
        "give the weights of results, behaviour and collaboration.",
        "'{key}' is not a plan section; the sections are {sections}.",
        "must be a list of deal types, not {value}.",
        "must be a list of [[commission.tiers]] tables.",
        "give both 'from' (attainment where the tier starts, e.g. 1.2) and 'rate'.",
        "must be a table of [scorecard.roles.<role>] tables.",
    ],
    nested={"modes": OR_LIST, "found": NONE},
)

#: Every :class:`~analytics.incentives.plans.PlanError` message.
PLAN_ERRORS = SentenceTemplates(
    [
        "Plan field {path}: {problem}",
        "The plan file {path} does not exist; pass the path of a .toml plan (examples are in {folder}).",
        "The plan is not valid TOML ({error}); fix the syntax at that line.",
        "The weight of {name} must lie between 0 and 1, not {weight}.",
        "'{metric}' is not a known metric; known metrics are {metrics}.",
        "'{dimension}' is not a scorecard dimension; use {dimensions}.",
        "Give the scenario a name before saving it.",
        "The scenario name is {n} characters long; use at most {max}.",
        "There is no saved scenario '{name}'; list them with 'python -m analytics scenarios list'.",
        "There is no saved scenario revision {revision} of '{name}'; list them with "
        "'python -m analytics scenarios list'.",
        "There is no bundled plan '{ref}'; the plans are {plans}.",
        "'{key}' is not a plan choice.",
    ],
    nested={"problem": FIELD_PROBLEMS},
    values={"path": r"[^:]+"},
)

#: Names of the plans shipped in data/plans (message ids; a saved scenario keeps its name).
BUNDLED_PLAN_NAMES = ("Reference plan", "Retention focus", "Retroactive, capped, scaled")


def translate_plan_error(message: str, lang: str) -> str:
    """A :class:`~analytics.incentives.plans.PlanError` message in ``lang`` (unchanged when unknown)."""
    return PLAN_ERRORS.translate(message, lang)


def plan_name(name: str, lang: str) -> str:
    """A plan's name in ``lang``: the bundled plans' names are translated, others are data."""
    return translate(name, lang) if name in BUNDLED_PLAN_NAMES else name


def all_msgids() -> list[str]:
    """Every message id of this module (for the catalogue checks)."""
    return [*PLAN_ERRORS.msgids, *FIELD_PROBLEMS.msgids, *NONE.msgids, *BUNDLED_PLAN_NAMES]
