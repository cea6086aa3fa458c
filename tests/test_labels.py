from __future__ import annotations

from elinvoima_xl.core.labels import match_choice, match_label
from elinvoima_xl.core.structure import INCOME_STATEMENT, Block


def key(label: str, block: Block | None = None, has_figures: bool = True) -> str | None:
    m = match_label(label, INCOME_STATEMENT, block, has_figures)
    return m.line.key if m else None


def test_exact_and_markup_and_case() -> None:
    assert key("<b>Toimintakulut</b>") == "toimintakulut"
    assert key("TILIKAUDEN  TULOS") == "tilikauden_tulos"
    m = match_label("Myyntituotot", INCOME_STATEMENT, Block.REVENUE)
    assert m is not None and m.exact and not m.note


def test_heading_and_subtotal_of_the_same_name_are_told_apart() -> None:
    assert key("TOIMINTATUOTOT", has_figures=False) == "toimintatuotot_otsikko"
    assert key("Toimintatuotot", has_figures=True) == "toimintatuotot"


def test_seed_misspellings_match_by_meaning_and_are_reported() -> None:
    for printed in ("Vuokratulut", "Vuokratulot"):
        m = match_label(printed, INCOME_STATEMENT, Block.EXPENSE)
        assert m is not None and m.line.key == "vuokrakulut"
        assert not m.exact and printed in m.note


def test_expense_label_under_revenue_heading_is_misplaced() -> None:
    m = match_label("Henkilöstökulut", INCOME_STATEMENT, Block.REVENUE)
    assert m is not None and m.misplaced and "kululohko" not in m.note and "tuottolohkossa" in m.note


def test_unknown_label_is_none() -> None:
    assert key("Lounasseteli") is None


def test_match_choice_for_goal_status() -> None:
    choices = ("Toteutuu", "Toteutuu osittain", "Ei toteudu")
    assert match_choice("Toteutuu osittain", choices) == ("Toteutuu osittain", True)
    assert match_choice("Toteutu osittain", choices) == ("Toteutuu osittain", False)
    assert match_choice("Kesken", choices) == (None, False)


def test_remembered_matches_follow_the_structure_value_not_the_object() -> None:
    # Two structures made one after the other (the first gone, so Python may reuse its memory): each
    # label is matched against the structure it is asked about, never a remembered other one.
    import gc

    from elinvoima_xl.core.labels import match_label
    from elinvoima_xl.core.structure import Block, Kind, Line, Structure

    def made(key: str) -> Structure:
        return Structure(f"s_{key}", (Line(key, "Erä", Kind.DETAIL, Block.REVENUE),))

    first = match_label("Erä", made("eka"))
    gc.collect()
    second = match_label("Erä", made("toka"))
    assert first is not None and second is not None
    assert (first.line.key, second.line.key) == ("eka", "toka")
    # An equal structure is the same value: the same answer.
    again = match_label("Erä", made("eka"))
    assert again is not None and again.line.key == "eka"
