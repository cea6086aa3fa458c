"""The checks: every identity, roll-up, printed figure and plausibility rule, as a list of findings.

Each check has the signature `check(review, settings) -> list[Finding]` and returns every
problem it sees; `run_checks` runs them all so the user sees everything at once. The checks
live by concept: `check_sums` (identities, roll-ups, printed Jäljellä and %),
`check_plausibility` (the reporting point and the binding nets), `check_texts` (labels,
goals, KPIs); `causes` links each consequence to its root error. The checks run in the
review's sign convention (`calc.convention_for`).
"""

from __future__ import annotations

__all__ = [
    "ALL_CHECKS",
    "Check",
    "Code",
    "Finding",
    "Location",
    "Measure",
    "Severity",
    "has_errors",
    "link_causes",
    "rounding_tolerance",
    "run_checks",
]

from collections.abc import Callable

from .calc import Settings, apply_convention, convention_for
from .causes import cause_tables, link_causes
from .check_plausibility import check_binding, check_plausibility
from .check_sums import (
    check_council,
    check_division_sum,
    check_identities,
    check_investment_sum,
    check_printed_remaining_and_pct,
)
from .check_texts import check_goals, check_kpis, check_labels
from .findings import Code, Finding, Location, Measure, Severity, has_errors, rounding_tolerance
from .model import Review

Check = Callable[[Review, Settings], list[Finding]]

ALL_CHECKS: tuple[Check, ...] = (
    check_labels, check_identities, check_division_sum, check_council, check_investment_sum,
    check_printed_remaining_and_pct, check_plausibility, check_binding, check_goals, check_kpis,
)

_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


def run_checks(review: Review, settings: Settings = Settings(),
               checks: tuple[Check, ...] = ALL_CHECKS) -> list[Finding]:
    """Run every check; errors first, then warnings, then rounding and other info."""
    review = apply_convention(review, convention_for(review, settings))
    findings = [f for check in checks for f in check(review, settings)]
    findings = link_causes(findings, *cause_tables(review))
    return sorted(findings, key=lambda f: _ORDER[f.severity])
