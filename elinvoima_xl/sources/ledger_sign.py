"""A ledger import's period and sign convention: given, from Debet/Kredit columns, or told from revenue and costs."""

from __future__ import annotations

__all__ = ["EXPENSE_KEYS", "REVENUE_KEYS", "SIGN_DEBIT", "SIGN_INCOME", "SIGN_TEXT", "Period", "decide_sign",
           "intrinsic_sign", "parse_period"]

import re
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ..core.errors import InputError, Place
from ..core.structure import INCOME_STATEMENT, Block, Kind
from .ledger_read import ExportScan

IntArray = npt.NDArray[np.int64]
REVENUE_KEYS = frozenset(ln.key for ln in INCOME_STATEMENT.lines
                         if ln.kind is Kind.DETAIL and ln.block is Block.REVENUE)
EXPENSE_KEYS = frozenset(ln.key for ln in INCOME_STATEMENT.lines
                         if ln.kind is Kind.DETAIL and ln.block is Block.EXPENSE)


@dataclass(frozen=True)
class Period:
    """The review period 1..months/year; `explicit` when the user gave it (--period), not the data."""

    year: int
    months: int
    explicit: bool = False

    @property
    def label(self) -> str:
        return f"1–{self.months}/{self.year}"


def parse_period(text: str) -> Period:
    """'1-9/2023', '1–9/2023', '9/2023' or '2023-09' -> Period(2023, 9, explicit=True)."""
    t = text.strip().replace("–", "-").replace(" ", "")
    m = re.fullmatch(r"(?:1-)?(\d{1,2})/(\d{4})", t) or re.fullmatch(r"(\d{4})-(\d{1,2})", t)
    if m is None:
        raise InputError(f"kausi '{text}' ei kelpaa.", None,
                         "Anna kausi muodossa 1-9/2023 (kuukaudet 1–9 vuonna 2023).")
    a, b = int(m.group(1)), int(m.group(2))
    months, year = (a, b) if b > 12 else (b, a)
    if not 1 <= months <= 12:
        raise InputError(f"kauden '{text}' kuukausi {months} ei ole välillä 1–12.", None, "Anna esimerkiksi 1-6/2023.")
    return Period(year, months, explicit=True)


SIGN_INCOME = "income"        # revenue +, cost − (the review's own convention)
SIGN_DEBIT = "debit"          # general-ledger sign: debit +, credit −
SIGN_TEXT = {SIGN_INCOME: "tuloslaskelman etumerkki (tuotot +, kulut −)",
             SIGN_DEBIT: "kirjanpidon etumerkki (debet +, kredit −), käännetty"}



def decide_sign(scan: ExportScan, sums: IntArray, targets: list[str], areas: list[str], m: int, sign: str | None,
                 reference: dict[str, dict[str, dict[str, float]]] | None, budget: IntArray | None,
                 b_sign: str | None) -> tuple[str, str]:
    """Debet/Kredit columns, else --sign, else the export's signs against the budget's (`budget`: its sums of
    areas × targets) or the data's, else stop."""
    if scan.has_debet_kredit:
        return SIGN_DEBIT, "Debet- ja Kredit-sarakkeista"
    if sign is not None:
        return sign, "annettu (--sign)"
    agree = disagree = 0.0
    source = ""
    t_index = {t: i for i, t in enumerate(targets)}
    now = sums[..., :m].sum(axis=-1)
    prev = sums[..., 12:24].sum(axis=-1)
    if budget is not None and b_sign is not None:
        b = budget
        agree, disagree = _compare(now, b if b_sign == SIGN_INCOME else -b, targets)
        source = "verrattu talousarvion samoihin riveihin"
    if agree + disagree == 0 and reference:
        ref_now = np.zeros_like(now, dtype=np.float64)
        ref_prev = np.zeros_like(prev, dtype=np.float64)
        for ai, area in enumerate(areas):
            for key, vals in reference.get(area, {}).items():
                if key in t_index:
                    ref_now[ai, t_index[key]] = vals.get("tot", vals.get("ta", 0.0)) or 0.0
                    ref_prev[ai, t_index[key]] = vals.get("tp", 0.0) or 0.0
        a1, d1 = _compare(now, ref_now, targets)
        a2, d2 = _compare(prev, ref_prev, targets)
        agree, disagree = a1 + a2, d1 + d2
        source = "verrattu tietojen samoihin riveihin"
    if agree + disagree > 0:
        share = agree / (agree + disagree)
        if share >= 0.8:
            return SIGN_INCOME, f"{source}: {share * 100:.0f} % samanmerkkisiä"
        if share <= 0.2:
            return SIGN_DEBIT, f"{source}: {(1 - share) * 100:.0f} % vastakkaismerkkisiä"
    else:
        own = intrinsic_sign(now + prev, targets)
        if own is not None:
            return own, "tuotto- ja kulutilien saldoista"
    why = "tuottotilien ja talousarvion/tietojen etumerkit ristiriidassa" if agree + disagree else "ei vertailukohtaa"
    raise InputError(f"kirjanpidon etumerkkiä ei voi päätellä luotettavasti ({why}).",
                     Place(file=scan.name),
                     "Anna etumerkki: --sign income (tuotot +, kulut −) tai --sign debit (kirjanpidon debet +); "
                     "Excelissä rivi 'etumerkki;debet' tai 'etumerkki;tulos' välilehdelle Tuontiprofiili.")


def _compare(ledger: IntArray, ref: npt.NDArray[np.float64] | IntArray, targets: list[str]) -> tuple[float, float]:
    cols = [i for i, t in enumerate(targets) if t in REVENUE_KEYS or t in EXPENSE_KEYS]
    lg = ledger[:, cols].astype(np.float64)
    rf = np.asarray(ref, dtype=np.float64)[:, cols]
    both = (lg != 0) & (rf != 0)
    same = both & (np.sign(lg) == np.sign(rf))
    return float(np.abs(lg[same]).sum()), float(np.abs(lg[both & ~same]).sum())


def intrinsic_sign(total: IntArray, targets: list[str]) -> str | None:
    """Revenue lines net positive and cost lines net negative: the income sign; the other way round: debit."""
    rev = int(sum(total[:, i].sum() for i, t in enumerate(targets) if t in REVENUE_KEYS))
    cost = int(sum(total[:, i].sum() for i, t in enumerate(targets) if t in EXPENSE_KEYS))
    if rev > 0 and cost < 0 or (rev == 0 and cost < 0) or (cost == 0 and rev > 0):
        return SIGN_INCOME
    if rev < 0 and cost > 0 or (rev == 0 and cost > 0) or (cost == 0 and rev < 0):
        return SIGN_DEBIT
    return None
