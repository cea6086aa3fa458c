"""The core: the review's structure, figures, arithmetic, checks and reports, all pure.

Here: `structure` (each table's lines and identities, as data), `model` (columns, tables, the
review), `numbers` (Finnish number text), `labels` (lines matched by meaning), `calc` (Jäljellä,
TOT-%, the forecast), `rollup` (division and council from the areas), `checks` (findings),
`report` (text and JSON), `names` (sheet names from area names), `explanations` (the heads'
explanations as findings), `errors` (the exceptions that carry a Finnish message and a place).

May import: the standard library and numpy. Nothing else of the package, and no file, Excel or
spreadsheet library, directly or indirectly (tests/test_layers.py holds it).
"""
