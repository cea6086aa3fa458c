"""Ledger import: exports summed to areas × lines × months in exact cents, with the period and sign decided explicitly.

The rows stream in batches (`ledger_read`) into one small cube of whole cents: service area ×
target (income-statement line, balance sheet, fixed assets, investment group) × month of the
review year, month of last year, other years. From the cube come the columns the ledger
covers (this year's TOT of the period's months, last year's TOT of the same months, last
year's TP only from all twelve months), the sign convention, and every row that is left out,
with count and sum. Nothing is dropped silently: a row without a mapping, a row of the review
year after the period, a row of another year stops the import with a list (count, sum, first
rows with file and line) unless the user said how to treat it.
"""

from __future__ import annotations

__all__ = [
    "DEFAULT_MAPPING",
    "ImportResult",
    "LeftOut",
    "Mapping",
    "Period",
    "aggregate",
    "SIGN_DEBIT",
    "SIGN_TEXT",
    "aggregate",
    "mapping_rows",
    "parse_period",
    "read_mapping",
]

from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt

from ..core.errors import InputError, Place
from ..core.numbers import format_fi
from ..core.structure import INCOME_STATEMENT, Kind
from .ledger_mapping import BALANCE, DEFAULT_MAPPING, FIXED_ASSETS, Mapping, mapping_rows, read_mapping
from .ledger_read import Batch, ExportScan
from .ledger_sign import SIGN_DEBIT, SIGN_TEXT, Period, decide_sign, intrinsic_sign, parse_period

UNALLOCATED_AREA = "Kohdistamattomat"
UNALLOCATED_LINE = "kohdistamattomat"
IntArray = npt.NDArray[np.int64]
DETAIL_KEYS = tuple(ln.key for ln in INCOME_STATEMENT.lines if ln.kind is Kind.DETAIL and ln.key != UNALLOCATED_LINE)


def _short(text: str) -> str:
    """A report line as the log shows it: at most 40 characters."""
    return text if len(text) <= 40 else text[:39] + "…"


def _eur(cents: int) -> str:
    return format_fi(cents / 100, 2) + " €"


# ---------------------------------------------------------------------------- the cube

_SLOTS = 25         # months 1..12 of the review year, 1..12 of last year, any other year


@dataclass(frozen=True)
class LeftOut:
    """Rows read but in no figure, with why: balance sheet, fixed assets without a group, outside the period…"""

    what: str
    rows: int
    cents: int          # in the export's own sign

    def text(self) -> str:
        return f"{self.what}: {self.rows} riviä, {_eur(self.cents)}"


@dataclass
class _Examples:
    rows: list[tuple[int, int, int, int, int, int]] = field(default_factory=list)   # row, kp, tili, y, m, cents

    def add(self, batch: Batch, mask: npt.NDArray[np.bool_]) -> None:
        if len(self.rows) >= 5 or not mask.any():
            return
        for i in np.nonzero(mask)[0][: 5 - len(self.rows)]:
            self.rows.append((int(batch.rows[i]), int(batch.centre[i]), int(batch.account[i]), int(batch.year[i]),
                              int(batch.month[i]), int(batch.cents[i])))


@dataclass
class _Cube:
    areas: list[str]
    targets: list[str]
    sums: IntArray
    counts: IntArray

    @classmethod
    def empty(cls, areas: list[str], targets: list[str], slots: int) -> _Cube:
        shape = (len(areas), len(targets), slots)
        return cls(areas, targets, np.zeros(shape, dtype=np.int64), np.zeros(shape, dtype=np.int64))

    def add(self, area: npt.NDArray[np.intp], target: npt.NDArray[np.intp], slot: IntArray, cents: IntArray) -> None:
        shape = self.sums.shape
        key = (area * shape[1] + target) * shape[2] + slot
        size = self.sums.size
        if float(np.abs(cents).sum()) < 2.0 ** 52:     # float sums of whole cents are exact below 2^53
            sums = np.rint(np.bincount(key, cents.astype(np.float64), size)).astype(np.int64)
        else:
            sums = np.zeros(size, dtype=np.int64)
            np.add.at(sums, key, cents)
        self.sums += sums.reshape(shape)
        self.counts += np.bincount(key, minlength=size).reshape(shape)


def _target_index(mapping: Mapping) -> tuple[list[str], npt.NDArray[np.intp]]:
    """Targets (income lines, kohdistamattomat, balance, fixed assets, investment groups ±) and a lookup table."""
    _idx, names = mapping.lookup(np.zeros(0, dtype=np.int64), "tili")
    targets = [*DETAIL_KEYS, UNALLOCATED_LINE, BALANCE, FIXED_ASSETS]
    groups = sorted({g for _a, _b, g in mapping.fixed if g})
    for g in groups:
        targets += [f"+{g}", f"-{g}"]
    def index(n: str) -> int:
        if n in targets:
            return targets.index(n)
        group = n.split(":", 1)[1]
        return targets.index(f"+{group}") if group else targets.index(FIXED_ASSETS)

    to_target = np.array([index(n) for n in names] + [targets.index(UNALLOCATED_LINE)], dtype=np.intp)
    return targets, to_target


# ---------------------------------------------------------------------------- the result

@dataclass
class ImportResult:
    """What a ledger gives: figures per area and column kind, what it covers, what was left out, and why."""

    period: Period
    sign: str
    sign_reason: str
    figures: dict[str, dict[str, dict[str, float]]]        # area -> line key -> column role -> euros (income sign)
    investments: dict[str, dict[str, dict[str, float]]]    # group -> tulot/menot -> column role -> euros
    covered: dict[str, str]                                 # column role -> "" (covered) or why not
    rows: int
    cents_in: int                                           # every amount read, in the export's own sign
    left_out: list[LeftOut]
    unallocated_rows: int
    unallocated_cents: int
    control_total: tuple[int, tuple[int, ...]] | None
    files: list[tuple[str, str]] = field(default_factory=list)
    time: str = ""
    encoding: str = ""
    budget_rows: int = 0
    cents_out: int = 0                                       # set by the importer from the written figures
    column_notes: list[str] = field(default_factory=list)    # per column: replaced or kept (set by the importer)
    subtotals: int = 0                                        # control subtotal rows checked besides the last
    page_heads: int = 0                                       # repeated page headers skipped (counted, not data)
    report_lines: list[tuple[int, str]] = field(default_factory=list)   # printing lines skipped: (line, text)

    @property
    def cents_left_out(self) -> int:
        return sum(x.cents for x in self.left_out)

    def summary(self) -> str:
        text = (f"{self.rows} riviä, kausi {self.period.label}"
                f"{' (annettu)' if self.period.explicit else ' (tiedoista)'}; {SIGN_TEXT[self.sign]} "
                f"({self.sign_reason}); summa sisään {_eur(self.cents_in)}, summa ulos {_eur(self.cents_out)}")
        if self.left_out:
            text += "; jätetty pois " + "; ".join(x.text() for x in self.left_out)
        if self.page_heads:
            text += f"; sivunvaihtojen toistetut otsikkorivit {self.page_heads} (ei kirjauksia)"
        if self.report_lines:
            shown = ", ".join(f"rivi {n}: '{_short(t)}'" for n, t in self.report_lines[:3])
            more = "…" if len(self.report_lines) > 3 else ""
            text += f"; raportin muut rivit {len(self.report_lines)} (ei kirjauksia: {shown}{more})"
        if self.unallocated_rows:
            text += f"; kohdistamattomia {self.unallocated_rows} riviä, {_eur(self.unallocated_cents)}"
        if self.control_total is not None:
            line, amounts = self.control_total
            text += f"; Yhteensä-rivi {line} ({' / '.join(_eur(c) for c in amounts)}) täsmää"
            if self.subtotals:
                text += f", samoin {self.subtotals} välisummaa"
        if self.column_notes:
            text += ". Sarakkeet: " + "; ".join(self.column_notes)
        return text + "."


def _rows_error(scan_name: str, line_of: object, examples: _Examples, count: int, cents: int, what: str,
                hint: str, extra: str = "", mapping: Mapping | None = None) -> InputError:
    def why(c: int, a: int) -> str:
        if mapping is None:
            return ""
        no_c = mapping.lookup(np.array([c], dtype=np.int64), "kustannuspaikka")[0][0] < 0
        no_a = mapping.lookup(np.array([a], dtype=np.int64), "tili")[0][0] < 0
        return f" ({', '.join(w for w, no in (('kustannuspaikka', no_c), ('tili', no_a)) if no)})"

    first = "; ".join(
        f"rivi {line_of(r)}: kp {c if c >= 0 else '(tyhjä)'}, tili {a}, "  # type: ignore[operator]
        f"{m}/{y}, {_eur(x)}{why(c, a)}" for r, c, a, y, m, x in examples.rows)
    line = line_of(examples.rows[0][0]) if examples.rows else None  # type: ignore[operator]
    more = "…" if count > len(examples.rows) else ""
    return InputError(f"{count} riviä ({_eur(cents)}) {what}: {first}{more}{extra}.",
                      Place(file=scan_name, line=line), hint)


def _months_text(months: list[int], year: int) -> str:
    return ", ".join(f"{m}/{year}" for m in months)


def aggregate(scan: ExportScan, mapping: Mapping, period: Period, budget: ExportScan | None = None,
              keep_unallocated: bool = False, sign: str | None = None,
              reference: dict[str, dict[str, dict[str, float]]] | None = None) -> ImportResult:
    """Stream the export into the cube and decide the columns it covers, its sign and what is left out.

    `reference` holds figures already in the data ({area: {line: {role: euros}}}, roles "tot",
    "ta", "tp") to compare the export's signs with; `sign` (income or debit) overrides the
    detection, as does a Debet/Kredit pair of columns.
    """
    y, m = period.year, period.months
    c_names = list(dict.fromkeys(t for _a, _b, t in mapping.centres))
    areas = [*c_names, UNALLOCATED_AREA]
    targets, to_target = _target_index(mapping)
    cube = _Cube.empty(areas, targets, _SLOTS)
    ex = {k: _Examples() for k in ("other", "late", "unmapped")}
    t_unalloc = targets.index(UNALLOCATED_LINE)
    t_special = {targets.index(BALANCE), targets.index(FIXED_ASSETS)} | \
        {i for i, t in enumerate(targets) if t[0] in "+-"}
    special_mask = np.zeros(len(targets), dtype=bool)
    special_mask[list(t_special)] = True
    own_budget = _Cube.empty(areas, targets, 1) if "talousarvio" in scan.roles else None
    for batch in scan.batches():
        c_idx, _ = mapping.lookup(batch.centre, "kustannuspaikka")
        a_idx, _ = mapping.lookup(batch.account, "tili")
        target = to_target[a_idx]                      # -1 (no range) -> the last entry: kohdistamattomat
        area = np.where(c_idx < 0, len(areas) - 1, c_idx)
        special = special_mask[target]
        area = np.where(special, len(areas) - 1, area)   # balance/fixed-asset rows need no area
        # investment groups: the export's positive rows on "+g", negative on "-g"
        inv = special & (target != targets.index(BALANCE)) & (target != targets.index(FIXED_ASSETS))
        target = np.where(inv & (batch.cents < 0), target + 1, target)
        slot = np.where(batch.year == y, batch.month - 1, np.where(batch.year == y - 1, 11 + batch.month, 24))
        cube.add(area, target, slot, batch.cents)
        if own_budget is not None and batch.budget is not None:
            own_budget.add(area, target, np.zeros(len(target), dtype=np.int64), batch.budget)
        ex["other"].add(batch, slot == 24)
        ex["late"].add(batch, (batch.year == y) & (batch.month > m))
        ex["unmapped"].add(batch, ~special & ((c_idx < 0) | (target == t_unalloc)))
    if scan.rows == 0:
        raise InputError("raportissa ei ole yhtään kirjausta.", Place(file=scan.name),
                         "Vie raportti, jossa on kirjauksia.")
    line_of = scan.line_of
    sums, counts = cube.sums, cube.counts
    # ---- rows of other years: stop
    n_other = int(counts[..., 24].sum())
    if n_other:
        raise _rows_error(scan.name, line_of, ex["other"], n_other, int(sums[..., 24].sum()),
                          f"ovat muulta vuodelta kuin {y - 1} tai {y}",
                          f"Tuonti tekee kauden {period.label} toteuman ja vuoden {y - 1} luvut; "
                          "poista muut vuodet raportista.")
    left_out: list[LeftOut] = []
    # ---- rows of the review year after the period: stop, unless the period was given
    late = slice(m, 12)
    n_late = int(counts[..., late].sum())
    if n_late:
        if not period.explicit:
            raise _rows_error(scan.name, line_of, ex["late"], n_late, int(sums[..., late].sum()),
                              f"ovat kauden {period.label} jälkeen",
                              f"Kausi {period.label} tulee tiedoista. Jos katsaus on pidempi, anna kausi "
                              f"(esim. --period 1-{max(mm for mm in range(1, 13) if counts[..., mm - 1].sum())}/{y}); "
                              "jos rivit ovat ylimääräisiä, poista ne raportista.")
        left_out.append(LeftOut(f"kauden {period.label} jälkeiset rivit", n_late, int(sums[..., late].sum())))
    # ---- what the ledger covers
    has_now = counts[..., :12].sum(axis=(0, 1)) > 0
    has_prev = counts[..., 12:24].sum(axis=(0, 1)) > 0
    covered: dict[str, str] = {}
    if has_now[:m].all():
        covered["tot"] = ""
    elif not has_now[:m].any():
        covered["tot"] = f"ei rivejä kaudelta {period.label}"
    else:
        gaps = [i + 1 for i in range(m) if not has_now[i]]
        raise InputError(f"kirjanpidosta puuttuvat kuukaudet {_months_text(gaps, y)}, vaikka kausi on {period.label}.",
                         Place(file=scan.name),
                         "Vie raportti koko kaudelta, tai anna lyhyempi kausi (--period).")
    covered["tot_prev"] = "" if has_prev[:m].all() else \
        (f"ei rivejä kaudelta 1–{m}/{y - 1}" if not has_prev[:m].any() else
         f"kuukaudet {_months_text([i + 1 for i in range(m) if not has_prev[i]], y - 1)} puuttuvat")
    covered["tp"] = "" if has_prev.all() else \
        (f"ei rivejä vuodelta {y - 1}" if not has_prev.any() else
         f"vuodesta {y - 1} puuttuvat kuukaudet {_months_text([i + 1 for i in range(12) if not has_prev[i]], y - 1)}")
    if not covered["tp"]:
        pass
    elif not covered["tot_prev"]:
        rest = slice(12 + m, 24)
        if counts[..., rest].sum():
            left_out.append(LeftOut(f"vuoden {y - 1} kuukaudet {m + 1}–12 (tilinpäätös ei kokonainen)",
                                    int(counts[..., rest].sum()), int(sums[..., rest].sum())))
    elif counts[..., 12:24].sum():
        left_out.append(LeftOut(f"vuoden {y - 1} rivit ({covered['tot_prev']})", int(counts[..., 12:24].sum()),
                                int(sums[..., 12:24].sum())))
    # ---- balance sheet and fixed assets without a group, in the months that make figures
    used = np.zeros(_SLOTS, dtype=bool)
    used[:m] = True
    if not covered["tp"]:
        used[12:24] = True
    elif not covered["tot_prev"]:
        used[12:12 + m] = True
    for t, what in ((targets.index(BALANCE), "taseen tilit"),
                    (targets.index(FIXED_ASSETS), "käyttöomaisuustilit ilman investointiryhmää")):
        n = int(counts[:, t][:, used].sum())
        if n:
            left_out.append(LeftOut(what, n, int(sums[:, t][:, used].sum())))
    # ---- unallocated: stop, unless asked to keep them visibly
    income_t = np.array([i for i, t in enumerate(targets) if i not in t_special])
    un = np.zeros(sums.shape[:2], dtype=bool)
    un[len(areas) - 1, income_t] = True
    un[:, t_unalloc] = True
    n_un = int(counts[un][:, used].sum())
    c_un = int(sums[un][:, used].sum())
    if n_un and not keep_unallocated:
        raise _rows_error(scan.name, line_of, ex["unmapped"], n_un, c_un, "ilman kohdistusta",
                          f"Lisää kustannuspaikat ja tilit kohdistustaulukkoon ({mapping.source or DEFAULT_MAPPING}) "
                          "tai tuo ne näkyviin riville Kohdistamattomat (--kohdistamattomat).", mapping=mapping)
    # ---- budget
    budget_cube = None
    budget_rows = 0
    if budget is not None:
        budget_cube = _Cube.empty(areas, targets, 1)
        bex = _Examples()
        for batch in budget.batches():
            c_idx, _ = mapping.lookup(batch.centre, "kustannuspaikka")
            a_idx, _ = mapping.lookup(batch.account, "tili")
            target = to_target[a_idx]
            special = special_mask[target]
            area = np.where(special | (c_idx < 0), len(areas) - 1, c_idx)
            amount = batch.budget if batch.budget is not None else batch.cents
            budget_cube.add(area, target, np.zeros(len(target), dtype=np.int64), amount)
            bex.add(Batch(batch.centre, batch.account, batch.year, batch.month, amount, None, batch.rows),
                    ~special & ((c_idx < 0) | (target == t_unalloc)))
            budget_rows += len(amount)
        bn = int(budget_cube.counts[un].sum())
        if bn and not keep_unallocated:
            raise _rows_error(budget.name, budget.line_of, bex, bn, int(budget_cube.sums[un].sum()),
                              "ilman kohdistusta", "Lisää kustannuspaikat ja tilit kohdistustaulukkoon.")
    elif own_budget is not None:
        budget_cube = own_budget
    # ---- the sign convention: the budget's from its own lines, the export's against it or the data
    b_sign = None
    if budget_cube is not None:
        b_sign = SIGN_DEBIT if budget is not None and budget.has_debet_kredit else \
            (sign or intrinsic_sign(budget_cube.sums[..., 0], targets))
    chosen, reason = decide_sign(scan, sums, targets, areas, m, sign, reference,
                                 None if budget_cube is None else budget_cube.sums[..., 0], b_sign)
    flip = -1 if chosen == SIGN_DEBIT else 1
    b_flip = -1 if (b_sign or chosen) == SIGN_DEBIT else 1
    # ---- figures
    roles: dict[str, slice | list[int]] = {"tot": slice(0, m), "tot_prev": slice(12, 12 + m), "tp": slice(12, 24)}
    figures: dict[str, dict[str, dict[str, float]]] = {}
    investments: dict[str, dict[str, dict[str, float]]] = {}
    for role, sl in roles.items():
        if covered[role]:
            continue
        total = sums[..., sl].sum(axis=-1)
        present = counts[..., sl].sum(axis=-1) > 0
        _put(figures, investments, total, present, areas, targets, t_special, role, flip)
    if budget_cube is not None:
        covered["ta"] = ""
        _put(figures, investments, budget_cube.sums[..., 0], budget_cube.counts[..., 0] > 0, areas, targets,
             t_special, "ta", b_flip)
    else:
        covered["ta"] = "ei talousarviota (--budget)"
    for _a, _b, g in mapping.fixed:
        if g:
            investments.setdefault(g, {})
    files = [(scan.name, scan.sha256)] + ([(budget.name, budget.sha256)] if budget is not None else [])
    result = ImportResult(period, chosen, reason, figures, investments, covered, scan.rows, scan.cents_in, left_out,
                          n_un, c_un, scan.control_total(), files,
                          datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"), scan.encoding, budget_rows,
                          subtotals=max(len(scan.totals) - 1, 0), page_heads=scan.page_heads,
                          report_lines=list(scan.report_lines))
    return result


def _put(figures: dict[str, dict[str, dict[str, float]]], investments: dict[str, dict[str, dict[str, float]]],
         total: IntArray, present: npt.NDArray[np.bool_], areas: list[str], targets: list[str], special: set[int],
         role: str, flip: int) -> None:
    for a, t in zip(*np.nonzero(present | (total != 0))):
        name = targets[t]
        cents = int(total[a, t]) * flip
        if t in special:
            if name[0] in "+-" and cents:
                # income sign: a positive amount is investment income (TULOT), a negative one spending (MENOT)
                line = investments.setdefault(name[1:], {}).setdefault("tulot" if cents > 0 else "menot", {})
                line[role] = line.get(role, 0.0) + cents / 100
            continue
        figures.setdefault(areas[a], {})[name] = {**figures.get(areas[a], {}).get(name, {}), role: cents / 100}
