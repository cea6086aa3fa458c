from __future__ import annotations

from elinvoima_xl.core.structure import COUNCIL, INCOME_STATEMENT, INVESTMENT, Kind


def test_every_subtotal_has_one_identity() -> None:
    for s in (INCOME_STATEMENT, COUNCIL, INVESTMENT):
        subtotals = {ln.key for ln in s.lines if ln.kind is Kind.SUBTOTAL}
        assert subtotals == {i.total for i in s.identities}


def test_income_statement_identities_match_domain() -> None:
    by_total = {i.total: set(i.terms) for i in INCOME_STATEMENT.identities}
    assert by_total["toimintatuotot"] == {"myyntituotot", "maksutuotot", "tuet_ja_avustukset",
                                          "vuokratuotot", "muut_toimintatuotot"}
    assert by_total["toimintakulut"] == {"henkilostokulut", "palvelujen_ostot", "aineet_tarvikkeet",
                                         "avustukset", "vuokrakulut", "muut_toimintakulut"}
    assert by_total["toimintakate"] == {"toimintatuotot", "valmistus_omaan_kayttoon", "toimintakulut"}
    assert by_total["vuosikate"] == {"toimintakate", "rahoitustuotot_ja_kulut"}
    # DOMAIN.md: TILIKAUDEN TULOS = VUOSIKATE + Poistot; the import's "Kohdistamattomat" line
    # (ledger rows without a mapping, zero otherwise) is counted there so nothing goes missing.
    assert by_total["tilikauden_tulos"] == {"vuosikate", "poistot", "kohdistamattomat"}


def test_evaluation_order_computes_terms_first() -> None:
    seen = {ln.key for ln in INCOME_STATEMENT.lines if ln.kind is Kind.DETAIL}
    for ident in INCOME_STATEMENT.evaluation_order:
        assert set(ident.terms) <= seen
        seen.add(ident.total)
