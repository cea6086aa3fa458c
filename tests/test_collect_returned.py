"""Reading a returned workbook in the shapes it comes back in: re-zipped, stripped of its identity, padded, in a folder with other files."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from elinvoima_xl.core.calc import computed_table
from elinvoima_xl.core.structure import INCOME_STATEMENT, Kind
from elinvoima_xl.jobs.collect import gather_files
from elinvoima_xl.core.errors import InputError
from elinvoima_xl.workbook.head_writer import head_workbook
from elinvoima_xl.core.model import Review
from elinvoima_xl.workbook import returned
from elinvoima_xl.workbook.returned import MAX_INFLATED, read_returned


@pytest.fixture(scope="module")
def sent(seed_review: Review) -> bytes:
    return head_workbook(seed_review, seed_review.area("Kulttuuri")).data


def rezip(data: bytes, drop: str | None = None, compression: int = zipfile.ZIP_DEFLATED,
          extra: tuple[str, bytes] | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", compression) as dst:
        for item in src.infolist():
            if item.filename != drop:
                dst.writestr(item.filename, src.read(item.filename))
        if extra:
            dst.writestr(*extra)
    return out.getvalue()


def test_identity_and_answers_survive_a_rezip(sent: bytes, seed_review: Review) -> None:
    ret = read_returned(rezip(sent, compression=zipfile.ZIP_STORED), "kopio.xlsx")
    assert ret.area == "Kulttuuri" and ret.period == "1–6/2023" and ret.division == seed_review.division
    assert ret.version and any(n.startswith("Vastaus_Ennuste_") for n in ret.answers)
    # every line the area has gets its forecast cell: the table's lines from row 5 (0-based 4: title,
    # subtitle, blank, headings above), in column J (label A, TP 2022 B, TOT 2022 C, TA 2023 D,
    # TOT 2023 E, Jäljellä F, TOT-% G, Ennuste H, Odotettu % I: Oma ennuste J, 0-based 9)
    table = seed_review.area("Kulttuuri")
    present = computed_table(table, recompute=True).present
    expected = {f"Vastaus_Ennuste_{line.key}": ("Kulttuuri", 4 + li, 9)
                for li, line in enumerate(INCOME_STATEMENT.lines) if line.kind is Kind.DETAIL and present[li]}
    assert expected
    assert {n: c for n, c in ret.answer_cells.items() if n.startswith("Vastaus_Ennuste_")} == expected


def test_a_file_without_its_identity_is_not_ours(sent: bytes) -> None:
    with pytest.raises(InputError, match="ei ole Elinvoiman palvelualueen työkirja") as exc:
        read_returned(rezip(sent, drop="docProps/custom.xml"), "ilman.xlsx")
    assert "ilman.xlsx" in str(exc.value)


def test_a_damaged_property_part_is_named(sent: bytes) -> None:
    broken = rezip(rezip(sent, drop="docProps/custom.xml"), extra=("docProps/custom.xml", b"<Properties><prop"))
    with pytest.raises(InputError, match="docProps/custom.xml on vioittunut"):
        read_returned(broken, "rikki.xlsx")


def test_a_file_that_would_inflate_too_far_is_refused(sent: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    assert MAX_INFLATED >= 100 * 1024 * 1024        # a head's file is ~20 kB; the test lowers the limit
    monkeypatch.setattr(returned, "MAX_INFLATED", 4 * 1024 * 1024)
    huge = rezip(sent, extra=("xl/media/pad.bin", b"\0" * (4 * 1024 * 1024)))
    assert len(huge) < 200 * 1024                   # a small file on disk
    with pytest.raises(InputError, match="liian suureksi"):
        read_returned(huge, "pommi.xlsx")


def test_not_an_office_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="ei ole Excel-työkirja"):
        read_returned(b"alue;rivi\nKulttuuri;1\n", "vastaus.xlsx")
    with pytest.raises(InputError, match="vanha .xls"):
        read_returned(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "vanha.xls")


def test_a_folder_gives_its_workbooks_only(tmp_path: Path, sent: bytes) -> None:
    (tmp_path / "Kulttuuri.xlsx").write_bytes(sent)
    (tmp_path / "~$Kulttuuri.xlsx").write_bytes(b"lock")
    (tmp_path / "viesti.eml").write_text("x", encoding="utf-8")
    (tmp_path / "alikansio").mkdir()
    assert [p.name for p in gather_files([tmp_path])] == ["Kulttuuri.xlsx"]
    with pytest.raises(InputError, match="ei löytynyt"):
        gather_files([tmp_path / "alikansio"])
    with pytest.raises(InputError, match="ei löydy"):
        gather_files([tmp_path / "puuttuu"])
