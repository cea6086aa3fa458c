"""Saving the team's workbook: one writer at a time, nothing half-written, nothing left behind, locks respected."""

from __future__ import annotations

import io
import os
import random
import re
import signal
import subprocess
import sys
import time
import uuid
import zipfile
from pathlib import Path

import openpyxl
import pytest

import elinvoima_xl.jobs.team_workbook as team_workbook
from elinvoima_xl.core.errors import ElinvoimaError
from elinvoima_xl.ooxml.locking import lock_path
from elinvoima_xl.ooxml.opc import sheet_parts
from elinvoima_xl.jobs.team_workbook import backup_paths, build_workbook, rebuild_workbook
from elinvoima_xl.sources.ledger import DEFAULT_MAPPING, read_mapping
from elinvoima_xl.sources.ledger_generator import ledger_for_review
from elinvoima_xl.sources.load import bundled_path, load_review

from .ooxml import assert_valid_package

RUN = [sys.executable, "-m", "elinvoima_xl"]
BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture(scope="module")
def built(built_workbook: bytes) -> bytes:
    return built_workbook


@pytest.fixture(scope="module")
def big() -> bytes:
    """45 areas: the rebuild renders in two processes (PARALLEL_FROM = 40 sheets)."""
    sys.path.insert(0, str(BENCH))
    from synthetic import synthetic_income_review

    return build_workbook(synthetic_income_review(45, seed=5))


def _valid_workbook(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            if z.testzip() is not None:
                return False
        openpyxl.load_workbook(io.BytesIO(data), read_only=True).close()
        return True
    except Exception:   # noqa: BLE001
        return False


# ---------------------------------------------------------------------------- one writer at a time

def test_import_and_rebuild_at_once_both_land(built: bytes, tmp_path: Path) -> None:
    # Two real processes on the same workbook: the second waits for the first's lock, then reads
    # what the first wrote; the import is in the file whichever ran first.
    book = tmp_path / "Elinvoima.xlsm"
    book.write_bytes(built)
    ledger, budget = tmp_path / "kirjanpito.csv", tmp_path / "talousarvio.csv"
    # what `elinvoima generate-ledger` writes, made in this process (one interpreter start less)
    review = load_review(bundled_path("heinola_elinvoima_1-6_2023.csv"))
    ledger_bytes, budget_bytes = ledger_for_review(review, read_mapping(bundled_path(DEFAULT_MAPPING).read_bytes(),
                                                                        DEFAULT_MAPPING))
    ledger.write_bytes(ledger_bytes)
    budget.write_bytes(budget_bytes)
    for first in ("import", "rebuild"):
        book.write_bytes(built)
        cmds = {"import": [*RUN, "import", str(ledger), "--budget", str(budget), "--into", str(book)],
                "rebuild": [*RUN, "rebuild", str(book)]}
        order = [first, "rebuild" if first == "import" else "import"]
        procs = [subprocess.Popen(cmds[order[0]], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)]
        time.sleep(0.3)
        procs.append(subprocess.Popen(cmds[order[1]], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
        results = [p.communicate(timeout=240) for p in procs]
        assert [p.returncode for p in procs] == [0, 0], results
        sheets = openpyxl.load_workbook(book, read_only=True).sheetnames
        assert "Tuonnit" in sheets and "Kohdistus" in sheets, (first, sheets)
        assert _valid_workbook(book.read_bytes())


def test_a_second_job_waits_then_gives_up_with_a_finnish_line(built: bytes, tmp_path: Path) -> None:
    book = tmp_path / "Elinvoima.xlsm"
    book.write_bytes(built)
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time\nfrom filelock import FileLock\n"
        f"l = FileLock({str(lock_path(book))!r}); l.acquire(); print('held', flush=True); time.sleep(30)")],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        r = subprocess.run([*RUN, "rebuild", str(book)], capture_output=True, text=True,
                           env={**os.environ, "ELINVOIMA_LOCK_WAIT": "0.5"})
    finally:
        holder.kill()
        holder.wait()
        assert holder.stdout is not None
        holder.stdout.close()
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "toinen Elinvoima-ajo" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert book.read_bytes() == built


def test_a_file_changed_during_the_job_is_not_overwritten(built: bytes, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    book = tmp_path / "Elinvoima.xlsm"
    book.write_bytes(built)
    saved_meanwhile = built + b""   # another program's save: a valid workbook with other bytes
    wb = openpyxl.load_workbook(io.BytesIO(built), keep_vba=True)
    wb["Tavoitteet"]["A20"] = "lisätty Excelissä"
    buf = io.BytesIO()
    wb.save(buf)
    saved_meanwhile = buf.getvalue()
    real = team_workbook.run_file_job

    def job_while_someone_saves(*args, **kwargs):  # type: ignore[no-untyped-def]
        out = real(*args, **kwargs)
        book.write_bytes(saved_meanwhile)          # Excel (which takes no lock of ours) saves meanwhile
        return out

    monkeypatch.setattr(team_workbook, "run_file_job", job_while_someone_saves)
    with pytest.raises(ElinvoimaError, match="muuttunut sen jälkeen, kun se luettiin"):
        rebuild_workbook(book)
    assert book.read_bytes() == saved_meanwhile
    assert not any(p.exists() for p in backup_paths(book))


# ---------------------------------------------------------------------------- locks and permissions

@pytest.mark.parametrize("lock_name, program", [("~$Elinvoima.xlsm", "Excelissä"),
                                                (".~lock.Elinvoima.xlsm#", "LibreOfficessa")])
def test_a_workbook_open_in_excel_or_libreoffice_is_refused(built: bytes, tmp_path: Path, lock_name: str,
                                                            program: str) -> None:
    book = tmp_path / "Elinvoima.xlsm"
    book.write_bytes(built)
    (tmp_path / lock_name).write_text("owner")
    r = subprocess.run([*RUN, "rebuild", str(book)], capture_output=True, text=True)
    assert r.returncode == 2 and "Traceback" not in r.stderr and f"auki {program}" in r.stderr
    assert book.read_bytes() == built


def test_a_read_only_workbook_is_refused(built: bytes, tmp_path: Path) -> None:
    book = tmp_path / "Elinvoima.xlsm"
    book.write_bytes(built)
    book.chmod(0o444)
    try:
        r = subprocess.run([*RUN, "rebuild", str(book)], capture_output=True, text=True)
        assert r.returncode == 2 and "Traceback" not in r.stderr and "vain luku" in r.stderr
        assert book.read_bytes() == built
        assert not any(p.exists() for p in backup_paths(book))
        r = subprocess.run([*RUN, "build", "-o", str(book)], capture_output=True, text=True)
        assert r.returncode == 2 and "vain luku" in r.stderr and book.read_bytes() == built
    finally:
        book.chmod(0o644)


def test_stray_temp_files_of_dead_writers_are_cleaned(built: bytes, tmp_path: Path) -> None:
    book = tmp_path / "Elinvoima.xlsm"
    book.write_bytes(built)
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(dead.stdout)
    stray = [tmp_path / f".Elinvoima.xlsm.{dead_pid}.abc123.tmp", tmp_path / f".Elinvoima.edellinen.xlsm.{dead_pid}.x.tmp"]
    old_style = tmp_path / ".Elinvoima.xlsm.k2j4h6g8.tmp"            # no pid (an earlier version), two hours old
    stray.append(old_style)
    fresh_old_style = tmp_path / ".Elinvoima.xlsm.a1b2c3d4.tmp"      # no pid, just written: maybe at work
    live = tmp_path / f".Elinvoima.xlsm.{sleeper.pid}.def456.tmp"     # a writer still at work: not ours to remove
    other = tmp_path / ".Muistiinpanot.xlsx.123.tmp"                 # another file's: not ours either
    try:
        for p in [*stray, live, other, fresh_old_style]:
            p.write_bytes(b"PK half a file")
        two_hours_ago = time.time() - 7200
        os.utime(old_style, (two_hours_ago, two_hours_ago))
        rebuild_workbook(book)
        assert not any(p.exists() for p in stray)
        assert live.exists() and other.exists() and fresh_old_style.exists()
    finally:
        sleeper.kill()
        sleeper.wait()


def test_app_xml_lists_the_sheets_of_the_rebuilt_workbook(built: bytes, tmp_path: Path) -> None:
    wb = openpyxl.load_workbook(io.BytesIO(built), keep_vba=True)
    data_ws = wb["Tiedot"]
    for r in range(data_ws.max_row, 1, -1):
        if data_ws.cell(r, 2).value == "Kaupunkisuunnittelu":
            data_ws.delete_rows(r)
    buf = io.BytesIO()
    wb.save(buf)
    from elinvoima_xl.workbook.package import app_xml_with_sheets, finish_package

    edited = finish_package(buf.getvalue(), None)
    with zipfile.ZipFile(io.BytesIO(built)) as z:   # openpyxl writes its own app.xml: put the build's back
        app = z.read("docProps/app.xml")
    edited = _with_part(edited, "docProps/app.xml", app)
    book = tmp_path / "Elinvoima.xlsm"
    book.write_bytes(edited)
    rebuild_workbook(book)
    data = book.read_bytes()
    names = list(sheet_parts(data))
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        app_text = z.read("docProps/app.xml").decode()
    titles = re.findall(r"<vt:lpstr>([^<]*)</vt:lpstr>", app_text.split("<TitlesOfParts>")[1])
    count = int(re.search(r"<vt:i4>(\d+)</vt:i4>", app_text).group(1))  # type: ignore[union-attr]
    assert "Kaupunkisuunnittelu" not in names and titles == names and count == len(names)
    assert "<Company/>" in app_text and "<Company></Company>" in app.decode()   # app.xml was rewritten (lxml)
    # the rewritten app.xml is valid (in the build's package: openpyxl's save above writes fonts the audit refuses)
    assert_valid_package(_with_part(built, "docProps/app.xml", app_xml_with_sheets(app, [*names, "T&K <uusi>"])),
                         "Elinvoima.xlsm")
    assert app_xml_with_sheets(app, ["A"]).count(b"<vt:lpstr>A</vt:lpstr>") == 1


def _with_part(data: bytes, name: str, content: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            dst.writestr(item, content if item.filename == name else src.read(item.filename))
    return buf.getvalue()


# ---------------------------------------------------------------------------- kill -9

def _processes_with(token: str) -> list[int]:
    """Pids of live processes whose environment carries `token` (children inherit it, orphans too)."""
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if token.encode() in (entry / "environ").read_bytes():
                stat = (entry / "stat").read_text()
                if stat.rsplit(")", 1)[1].split()[0] != "Z":
                    out.append(int(entry.name))
        except OSError:
            continue
    return out


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs /proc (Linux)")
def test_kill_9_at_random_moments_leaves_a_whole_file_no_temp_and_no_process(big: bytes, tmp_path: Path) -> None:
    book = tmp_path / "Elinvoima.xlsm"
    book.write_bytes(big)
    rng = random.Random(11)
    token = f"ELINVOIMA_KILLTEST={uuid.uuid4().hex}"
    env = {**os.environ, token.split("=")[0]: token.split("=")[1]}
    t = time.perf_counter()
    subprocess.run([*RUN, "rebuild", str(book)], capture_output=True, env=env, check=True)
    duration = time.perf_counter() - t
    known = {big, book.read_bytes()}
    killed_with_worker = 0
    for _ in range(12):
        before = book.read_bytes()
        proc = subprocess.Popen([*RUN, "rebuild", str(book)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                env=env)
        time.sleep(rng.uniform(0.2, duration * 1.1))
        if len(_processes_with(token)) > 1:
            killed_with_worker += 1
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        deadline = time.monotonic() + 5
        while _processes_with(token) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _processes_with(token) == [], "a render worker outlived its killed parent"
        now = book.read_bytes()
        assert now == before or _valid_workbook(now)
        known.add(now)
        for gen in backup_paths(book):
            if gen.exists():
                assert _valid_workbook(gen.read_bytes()), f"{gen.name} is not whole"
    r = subprocess.run([*RUN, "rebuild", str(book)], capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []
    assert killed_with_worker >= 1, "no kill hit the moment the render worker ran; widen the window"
