"""The core: the review's structure, figures, arithmetic, checks and reports, all pure.

Here: `structure` (each table's lines and identities, as data), `model` (columns, tables, the
review, the enums of levels and label issues), `numbers` (Finnish number text), `labels` (lines
matched by meaning), `calc` (Jäljellä, TOT-%, the forecast, the sign convention), `rollup` (the one
roll-up: division = Σ areas, council from the division, investment total = Σ groups),
`findings` (`Finding`, its `Location`, the enums of severity and check), `checks` (runs them:
`check_sums`, `check_plausibility`, `check_texts`, and `causes` linking consequences to their
root), `report` (text and JSON), `names` (sheet names from area names), `explanations` (the
heads' explanations as findings), `errors` (the exceptions that carry a Finnish message and a place).

May import: the standard library and numpy. Nothing else of the package, and no file, Excel or
spreadsheet library, directly or indirectly (tests/test_core_purity.py holds it).
"""
