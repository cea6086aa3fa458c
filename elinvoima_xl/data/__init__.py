"""Bundled data: the published half-year review 1–6/2023 of Heinola's vitality committee."""
