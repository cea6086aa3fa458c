"""The shape of the review's tables as data: lines, their order, blocks and identities.

A `Structure` lists the lines of one kind of table (the income statement, the council
summary, an investment group) and the identities between them. Everything else in the
package (parsing, arithmetic, checks, layout) reads the structure instead of naming lines.
"""

from __future__ import annotations

__all__ = [
    "COUNCIL",
    "INCOME_STATEMENT",
    "INVESTMENT",
    "STRUCTURES",
    "Block",
    "SignConvention",
    "Identity",
    "Kind",
    "Line",
    "Structure",
]

from dataclasses import dataclass, field
from enum import Enum
from functools import cached_property, lru_cache

import numpy as np
import numpy.typing as npt


class Block(str, Enum):
    """Which part of a table a line belongs to; decides the meaning of a misspelt label."""

    REVENUE = "tuotot"
    EXPENSE = "kulut"
    RESULT = "tulos"


class Kind(str, Enum):
    HEADER = "header"      # a heading row without figures (TOIMINTATUOTOT)
    DETAIL = "detail"      # a line with its own figures
    SUBTOTAL = "subtotal"  # a line defined by an identity


@dataclass(frozen=True)
class Line:
    key: str
    label: str                      # as the published review prints it
    kind: Kind
    block: Block
    aliases: tuple[str, ...] = ()   # other spellings that mean exactly this line
    bold: bool = False


@dataclass(frozen=True)
class Identity:
    """total = Σ coefficient × term; every coefficient +1 where revenues are positive and expenses negative.

    Where a municipality prints expenses positive, the sign convention gives some terms −1
    (`SignConvention.apply`): the identities are data, not code.
    """

    total: str
    terms: tuple[str, ...]
    signs: tuple[float, ...] = ()    # per term; empty = all +1

    @property
    def coefficients(self) -> tuple[float, ...]:
        return self.signs or (1.0,) * len(self.terms)

    def describe(self, labels: dict[str, str]) -> str:
        parts = []
        # Added terms first, so a net cost reads "NETTO = MENOT − TULOT".
        ordered = sorted(zip(self.terms, self.coefficients), key=lambda tc: tc[1] < 0)
        for n, (t, c) in enumerate(ordered):
            op = ("−" if c < 0 else "") if n == 0 else (" − " if c < 0 else " + ")
            parts.append(f"{op}{labels[t]}")
        return f"{labels[self.total]} = " + "".join(parts)


@dataclass(frozen=True)
class Structure:
    key: str
    lines: tuple[Line, ...]
    identities: tuple[Identity, ...] = field(default=())
    net: str | None = None          # the line the binding level is set on (tulot − menot)

    def __hash__(self) -> int:
        # A structure is a value (caches are keyed by it); its hash is computed once.
        return self._hash

    @cached_property
    def _hash(self) -> int:
        return hash((self.key, self.lines, self.identities, self.net))

    @cached_property
    def keys(self) -> tuple[str, ...]:
        return tuple(line.key for line in self.lines)

    @cached_property
    def index(self) -> dict[str, int]:
        return {line.key: i for i, line in enumerate(self.lines)}

    @cached_property
    def labels(self) -> dict[str, str]:
        return {line.key: line.label for line in self.lines}

    def line(self, key: str) -> Line:
        return self.lines[self.index[key]]

    @cached_property
    def value_lines(self) -> tuple[Line, ...]:
        """Lines that carry figures (details and subtotals), in order."""
        return tuple(line for line in self.lines if line.kind is not Kind.HEADER)

    @cached_property
    def coefficient_matrix(self) -> npt.NDArray[np.float64]:
        """One row per identity: +1 on the terms, over the line axis (used by vectorised code)."""
        m = np.zeros((len(self.identities), len(self.lines)))
        for i, ident in enumerate(self.identities):
            for t, c in zip(ident.terms, ident.coefficients):
                m[i, self.index[t]] += c
        return m

    @cached_property
    def has_blocks(self) -> bool:
        """Whether the table has revenue and expense blocks under headings (the income statement).

        The council and investment tables (TULOT, MENOT, NETTO) have none: their rows may come
        in any order, and no row can stand in the wrong block.
        """
        return any(line.kind is Kind.HEADER for line in self.lines)

    @cached_property
    def total_indices(self) -> npt.NDArray[np.intp]:
        return np.array([self.index[i.total] for i in self.identities], dtype=np.intp)

    @cached_property
    def evaluation_order(self) -> tuple[Identity, ...]:
        """Identities sorted so that each total is computed after all of its terms."""
        done: set[str] = {ln.key for ln in self.lines if ln.kind is Kind.DETAIL}
        pending = list(self.identities)
        ordered: list[Identity] = []
        while pending:
            ready = [i for i in pending if all(t in done for t in i.terms)]
            if not ready:
                raise ValueError(f"structure {self.key}: identities form a cycle")
            for i in ready:
                ordered.append(i)
                done.add(i.total)
                pending.remove(i)
        return tuple(ordered)


def _d(key: str, label: str, block: Block, *aliases: str) -> Line:
    return Line(key, label, Kind.DETAIL, block, aliases)


def _s(key: str, label: str, block: Block, *aliases: str) -> Line:
    return Line(key, label, Kind.SUBTOTAL, block, aliases, bold=True)


def _h(key: str, label: str, block: Block) -> Line:
    return Line(key, label, Kind.HEADER, block, bold=True)


R, E, T = Block.REVENUE, Block.EXPENSE, Block.RESULT

# The municipal income statement (JHS 192) with the published review's rent lines.
INCOME_STATEMENT = Structure(
    key="tuloslaskelma",
    lines=(
        _h("toimintatuotot_otsikko", "TOIMINTATUOTOT", R),
        _d("myyntituotot", "Myyntituotot", R),
        _d("maksutuotot", "Maksutuotot", R),
        _d("tuet_ja_avustukset", "Tuet ja avustukset", R, "Tuet ja avustukset saadut"),
        _d("vuokratuotot", "Vuokratuotot", R),
        _d("muut_toimintatuotot", "Muut toimintatuotot", R, "Muut tuotot"),
        _s("toimintatuotot", "Toimintatuotot", R, "Toimintatuotot yhteensä"),
        _d("valmistus_omaan_kayttoon", "Valmistus omaan käyttöön", T),
        _h("toimintakulut_otsikko", "TOIMINTAKULUT", E),
        _d("henkilostokulut", "Henkilöstökulut", E),
        _d("palvelujen_ostot", "Palvelujen ostot", E),
        _d("aineet_tarvikkeet", "Aineet, tarvikkeet ja tavarat", E),
        _d("avustukset", "Avustukset", E, "Annetut avustukset"),
        _d("vuokrakulut", "Vuokrakulut", E),
        _d("muut_toimintakulut", "Muut toimintakulut", E, "Muut kulut"),
        _s("toimintakulut", "Toimintakulut", E, "Toimintakulut yhteensä"),
        _s("toimintakate", "TOIMINTAKATE", T),
        _d("rahoitustuotot_ja_kulut", "Rahoitustuotot ja -kulut", T, "Rahoitustuotot ja kulut"),
        _s("vuosikate", "VUOSIKATE", T),
        _d("poistot", "Poistot ja arvonalentumiset", T, "Poistot"),
        # Ledger rows whose account has no mapping, when the import is told to keep them visibly.
        _d("kohdistamattomat", "Kohdistamattomat", T),
        _s("tilikauden_tulos", "TILIKAUDEN TULOS", T, "Tilikauden ylijäämä (alijäämä)"),
    ),
    identities=(
        Identity("toimintatuotot", ("myyntituotot", "maksutuotot", "tuet_ja_avustukset",
                                    "vuokratuotot", "muut_toimintatuotot")),
        Identity("toimintakulut", ("henkilostokulut", "palvelujen_ostot", "aineet_tarvikkeet",
                                   "avustukset", "vuokrakulut", "muut_toimintakulut")),
        Identity("toimintakate", ("toimintatuotot", "valmistus_omaan_kayttoon", "toimintakulut")),
        Identity("vuosikate", ("toimintakate", "rahoitustuotot_ja_kulut")),
        Identity("tilikauden_tulos", ("vuosikate", "poistot", "kohdistamattomat")),
    ),
    net="toimintakate",
)

# The council's binding table: TULOT, MENOT, NETTO (the division's toimintakate).
COUNCIL = Structure(
    key="valtuusto",
    lines=(
        _d("tulot", "TULOT", R),
        _d("valmistus_omaan_kayttoon", "Valmistus omaan käyttöön", T),
        _d("menot", "MENOT", E),
        _s("netto", "NETTO", T),
    ),
    identities=(Identity("netto", ("tulot", "valmistus_omaan_kayttoon", "menot")),),
    net="netto",
)

# One investment group (or the division's investment total).
INVESTMENT = Structure(
    key="investoinnit",
    lines=(
        _d("tulot", "TULOT", R),
        _d("menot", "MENOT", E),
        _s("netto", "NETTO", T),
    ),
    identities=(Identity("netto", ("tulot", "menot")),),
    net="netto",
)

STRUCTURES: dict[str, Structure] = {s.key: s for s in (INCOME_STATEMENT, COUNCIL, INVESTMENT)}

# How the council summary derives from the income statement (DOMAIN.md).
COUNCIL_FROM_INCOME: dict[str, str] = {
    "tulot": "toimintatuotot",
    "valmistus_omaan_kayttoon": "valmistus_omaan_kayttoon",
    "menot": "toimintakulut",
    "netto": "toimintakate",
}


@dataclass(frozen=True)
class SignConvention:
    """How a municipality prints signs: expenses negative (Heinola) or positive, and the nets.

    `expenses_positive`: expense lines (Toimintakulut and its lines, Poistot, MENOT) printed
    as positive figures. `margin_as_cost` / `netto_as_cost`: TOIMINTAKATE (and the margins
    below it) or NETTO printed as a net cost (kulut − tuotot, positive for a cost) instead of
    tuotot − kulut. `source` says where the convention came from, for the report.
    """

    expenses_positive: bool = False
    margin_as_cost: bool = False
    netto_as_cost: bool = False
    source: str = "oletus"

    @property
    def expense_sign(self) -> float:
        """Coefficient of an expense figure in a net: +1 when printed negative, −1 when positive."""
        return -1.0 if self.expenses_positive else 1.0

    def net_sign(self, structure: Structure) -> float:
        """+1 when the structure's net is printed as tuotot − kulut, −1 when as a net cost."""
        as_cost = self.margin_as_cost if structure.key == INCOME_STATEMENT.key else self.netto_as_cost
        return -1.0 if as_cost else 1.0

    def apply(self, structure: Structure) -> Structure:
        """The structure with its identities' coefficients in this convention (one object per pair)."""
        if not (self.expenses_positive or self.margin_as_cost or self.netto_as_cost):
            return structure
        return _applied(self.expenses_positive, self.margin_as_cost, self.netto_as_cost, structure)


@lru_cache(maxsize=256)
def _applied(expenses_positive: bool, margin_as_cost: bool, netto_as_cost: bool, structure: Structure) -> Structure:
    """`SignConvention.apply`, remembered: one object per convention and structure (the source text aside)."""
    conv = SignConvention(expenses_positive, margin_as_cost, netto_as_cost)
    e, n = conv.expense_sign, conv.net_sign(structure)
    cost_lines = {ln.key for ln in structure.lines if ln.block is Block.EXPENSE} | _COST_RESULT_LINES
    idents = []
    for ident in structure.identities:
        if ident.total in _NET_TOTALS.get(structure.key, ()):
            # The first net (TOIMINTAKATE, NETTO) flips its terms when printed as a cost; the
            # margins below it (VUOSIKATE, TULOS) carry its sign over from the net above.
            first = ident.total == structure.net
            signs = tuple((1.0 if (not first and t in _NET_TOTALS[structure.key]) else n)
                          * (e if t in cost_lines else 1.0) for t in ident.terms)
            idents.append(Identity(ident.total, ident.terms, signs))
        else:
            idents.append(ident)
    return Structure(structure.key, structure.lines, tuple(idents), structure.net)


# Lines outside the expense block that are expenses all the same (printed positive with them).
_COST_RESULT_LINES = frozenset({"poistot"})
# Per structure, the totals that are nets (tuotot − kulut) rather than sums of like lines.
_NET_TOTALS: dict[str, tuple[str, ...]] = {
    "tuloslaskelma": ("toimintakate", "vuosikate", "tilikauden_tulos"),
    "valtuusto": ("netto",),
    "investoinnit": ("netto",),
}
