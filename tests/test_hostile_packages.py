"""Hostile or damaged .xlsx/.xlsm packages: one Finnish line naming the file, exit 2, quickly, in bounded memory,
the workbook untouched; and a fuzz test over mutated packages proving no traceback escapes the command line."""

from __future__ import annotations

import contextlib
import io
import os
import re
import struct
import subprocess
import sys
import tempfile
import time
import zipfile
import zlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from elinvoima_xl.cli import run
from elinvoima_xl.core.errors import InputError
from elinvoima_xl.core.model import Review
from elinvoima_xl.ooxml.safe_zip import check_package
from elinvoima_xl.sources.datafile import write_data_xlsx

from .conftest import REPO

DEFAULT_WORKBOOK = REPO / "workbook" / "Elinvoima.xlsm"   # the committed team workbook

RUN = [sys.executable, "-m", "elinvoima_xl"]


@pytest.fixture(scope="module")
def data_xlsx(seed_review: Review) -> bytes:
    return write_data_xlsx(seed_review)


def _cli(*args: str) -> tuple[int, str]:
    """The console entry point in this process: (exit code, stderr). Any exception escaping it fails the test."""
    err = io.StringIO()
    old = sys.argv
    sys.argv = ["elinvoima", *args]
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            run()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    finally:
        sys.argv = old
    return code, err.getvalue()


def _one_finnish_line(stderr: str, name: str) -> None:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr and name in stderr, stderr


def _replace_part(data: bytes, name: str, content: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            dst.writestr(item.filename, content if item.filename == name else src.read(item.filename))
        if name not in src.namelist():
            dst.writestr(name, content)
    return buf.getvalue()


def _sheet1(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return next(n for n in z.namelist() if n.startswith("xl/worksheets/sheet"))


# ---------------------------------------------------------------------------- a DTD, a bad CRC

DTD = (b'<?xml version="1.0" encoding="UTF-8"?>\n<!-- harmless -->\n<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa">'
       b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>\n'
       b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
       b'<row r="1"><c r="A1" t="inlineStr"><is><t>&b;</t></is></c></row></sheetData></worksheet>')


def test_a_dtd_in_a_worksheet_part_is_refused(data_xlsx: bytes, tmp_path: Path) -> None:
    bad = tmp_path / "tiedot.xlsx"
    bad.write_bytes(_replace_part(data_xlsx, _sheet1(data_xlsx), DTD))
    for command in ("show", "check"):
        code, err = _cli(command, str(bad))
        assert code == 2
        _one_finnish_line(err, "tiedot.xlsx")
        assert "DTD" in err


def test_a_dtd_in_the_team_workbook_is_refused_and_the_file_kept(tmp_path: Path) -> None:
    data = DEFAULT_WORKBOOK.read_bytes()
    book = tmp_path / "Elinvoima.xlsm"
    bad = _replace_part(data, "xl/worksheets/sheet3.xml", DTD)
    book.write_bytes(bad)
    code, err = _cli("rebuild", str(book))
    assert code == 2
    _one_finnish_line(err, "Elinvoima.xlsm")
    assert book.read_bytes() == bad
    assert sorted(p.name for p in tmp_path.iterdir()) == [".Elinvoima.xlsm.lock", "Elinvoima.xlsm"]   # the lock stays


def _corrupt_member(data: bytes, member: str) -> bytes:
    """Flip one byte inside `member`'s compressed data: the zip directory stays sound, the CRC does not."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        info = z.getinfo(member)
    name_len, extra_len = struct.unpack("<HH", data[info.header_offset + 26:info.header_offset + 30])
    start = info.header_offset + 30 + name_len + extra_len
    at = start + info.compress_size // 2
    out = bytearray(data)
    out[at] ^= 0x55
    return bytes(out)


def test_a_damaged_member_is_one_line_for_data_files_and_workbooks(data_xlsx: bytes, tmp_path: Path) -> None:
    bad = tmp_path / "tiedot.xlsx"
    bad.write_bytes(_corrupt_member(data_xlsx, _sheet1(data_xlsx)))
    code, err = _cli("show", str(bad))
    assert code == 2
    _one_finnish_line(err, "tiedot.xlsx")
    book = tmp_path / "Elinvoima.xlsm"
    damaged = _corrupt_member(DEFAULT_WORKBOOK.read_bytes(), "xl/worksheets/sheet4.xml")
    book.write_bytes(damaged)
    code, err = _cli("rebuild", str(book))
    assert code == 2
    _one_finnish_line(err, "Elinvoima.xlsm")
    assert book.read_bytes() == damaged


def test_an_xls_file_named_xlsx_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "vanha.xlsx"
    bad.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4000))
    code, err = _cli("check", str(bad))
    assert code == 2 and ".xls" in err
    _one_finnish_line(err, "vanha.xlsx")


# ---------------------------------------------------------------------------- bombs

def _zeros_deflated(megabytes: int) -> tuple[bytes, int]:
    """Raw deflate of `megabytes` MiB of zeros, made in a moment: one fully flushed 1 MiB segment repeated
    (a full flush ends the block byte-aligned and lets nothing refer back across it)."""
    mib = bytes(1 << 20)
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    segment = c.compress(mib) + c.flush(zlib.Z_FULL_FLUSH)
    body = segment * megabytes + zlib.compressobj(9, zlib.DEFLATED, -15).flush(zlib.Z_FINISH)
    crc = 0
    for _ in range(megabytes):
        crc = zlib.crc32(mib, crc)
    return body, crc


def _raw_zip(members: list[tuple[str, bytes, int, int, int]]) -> bytes:
    """A zip written by hand: (name, data as stored, crc, unpacked size, method)."""
    out, central = bytearray(), bytearray()
    for name, data, crc, size, method in members:
        offset = len(out)
        n = name.encode()
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, 0x21, crc, len(data), size, len(n), 0) + n
        out += data
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, method, 0, 0x21, crc, len(data), size,
                               len(n), 0, 0, 0, 0, 0, offset) + n
    at = len(out)
    out += central
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central), at, 0)
    return bytes(out)


def _bomb(data: bytes, part: str, megabytes: int) -> bytes:
    """`data` with `part` replaced by `megabytes` MiB of zeros, deflated."""
    body, crc = _zeros_deflated(megabytes)
    members = []
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for info in z.infolist():
            content = z.read(info.filename)
            if info.filename == part:
                continue
            members.append((info.filename, content, zlib.crc32(content), len(content), 0))
    members.append((part, body, crc, megabytes << 20, 8))
    return _raw_zip(members)


def _measured(args: list[str]) -> tuple[int, str, float, int]:
    """The CLI in a fresh process: (exit code, stderr, seconds, peak resident memory in MB)."""
    code = ("import resource, sys\nfrom elinvoima_xl.cli import run\n"
            f"sys.argv = ['elinvoima', *{args!r}]\n"
            "try:\n    run()\n    rc = 0\nexcept SystemExit as e:\n    rc = e.code\n"
            # VmHWM, not ru_maxrss: Linux carries the forking parent's peak (pytest's) into a child's ru_maxrss.
            "hwm = [ln for ln in open('/proc/self/status') if ln.startswith('VmHWM:')]\n"
            "peak = int(hwm[0].split()[1]) if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
            "print('RSS', peak // 1024, file=sys.stderr)\n"
            "sys.exit(rc)\n")
    t = time.perf_counter()
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    seconds = time.perf_counter() - t
    rss = int(re.search(r"RSS (\d+)", r.stderr).group(1))  # type: ignore[union-attr]
    return r.returncode, re.sub(r"RSS \d+\n?", "", r.stderr), seconds, rss


def test_a_2_mb_file_inflating_to_1_gb_is_refused_quickly_in_bounded_memory(data_xlsx: bytes, tmp_path: Path) -> None:
    bomb = tmp_path / "pommi.xlsx"
    bomb.write_bytes(_bomb(data_xlsx, _sheet1(data_xlsx), 1024))
    assert bomb.stat().st_size < 3_000_000
    for command in ("show", "check"):
        code, err, seconds, rss = _measured([command, str(bomb)])
        assert code == 2, err
        _one_finnish_line(err, "pommi.xlsx")
        assert seconds < 20 and rss < 400, (seconds, rss)


def test_a_2_gb_comment_bomb_is_refused_quickly(tmp_path: Path) -> None:
    book = tmp_path / "Elinvoima.xlsm"
    book.write_bytes(_bomb(DEFAULT_WORKBOOK.read_bytes(), "xl/comments1.xml", 2048))
    before = book.read_bytes()
    for args in (["show", str(book)], ["rebuild", str(book)]):
        code, err, seconds, rss = _measured(args)
        assert code == 2, err
        _one_finnish_line(err, "Elinvoima.xlsm")
        assert seconds < 20 and rss < 400, (seconds, rss)
    assert book.read_bytes() == before


def test_limits_name_the_part_and_pass_real_workbooks(data_xlsx: bytes) -> None:
    check_package(DEFAULT_WORKBOOK.read_bytes(), "Elinvoima.xlsm")
    check_package(data_xlsx, "tiedot.xlsx")
    with pytest.raises(InputError, match=r"pommi.xlsx.*xl/worksheets/sheet1.xml.*pakkaussuhde"):
        check_package(_bomb(data_xlsx, "xl/worksheets/sheet1.xml", 64), "pommi.xlsx")
    many = _raw_zip([(f"x{i}.xml", b"<a/>", zlib.crc32(b"<a/>"), 4, 0) for i in range(10_001)])
    with pytest.raises(InputError, match="osaa"):
        check_package(many, "monta.xlsx")


# ---------------------------------------------------------------------------- fuzz

def _mutate(data: bytes, how: str, at: float, chunk: bytes) -> bytes:
    i = int(at * (len(data) - 1))
    if how == "flip":
        out = bytearray(data)
        for k, b in enumerate(chunk):
            if i + k < len(out):
                out[i + k] ^= b or 0xFF
        return bytes(out)
    if how == "truncate":
        return data[:i]
    return data[:i] + chunk + data[i:]


MUTATION = dict(how=st.sampled_from(["flip", "flip", "truncate", "insert"]),
                at=st.floats(0, 1, allow_nan=False), chunk=st.binary(min_size=1, max_size=24))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(**MUTATION)
def test_no_traceback_escapes_a_rebuild_of_a_mutated_workbook(how: str, at: float, chunk: bytes) -> None:
    data = _mutate(DEFAULT_WORKBOOK.read_bytes(), how, at, chunk)
    with tempfile.TemporaryDirectory() as tmp:
        book = Path(tmp) / "Elinvoima.xlsm"
        book.write_bytes(data)
        code, err = _cli("rebuild", str(book))
        assert code in (0, 2), err
        if code == 2:
            _one_finnish_line(err, "Elinvoima.xlsm")
            assert book.read_bytes() == data
        assert not [p for p in os.listdir(tmp) if p.endswith(".tmp")]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(**MUTATION)
def test_no_traceback_escapes_check_of_a_mutated_data_file(how: str, at: float, chunk: bytes) -> None:
    from elinvoima_xl.sources.load import bundled_review

    data = _mutate(_DATA_XLSX or _data(bundled_review()), how, at, chunk)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "tiedot.xlsx"
        path.write_bytes(data)
        for command in ("check", "show"):
            code, err = _cli(command, str(path))
            assert code in (0, 1, 2), err
            if code == 2:
                _one_finnish_line(err, "tiedot.xlsx")


_DATA_XLSX: bytes | None = None


def _data(review: Review) -> bytes:
    global _DATA_XLSX
    _DATA_XLSX = write_data_xlsx(review)
    return _DATA_XLSX
