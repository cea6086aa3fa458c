"""Installed as the finance team installs it: package data, default paths, `init`, the built wheel, the user's guide.

The tests marked `wheel` build the sdist and the wheel, install the wheel in a fresh venv
outside the checkout and run every job from a temporary folder. They need the package index,
so they run in CI (`CI` set, .ci/run) or with `make wheel-test`, and skip loudly elsewhere.
"""

from __future__ import annotations

import fnmatch
import io
import os
import re
import shlex
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from collections.abc import Callable
from typing import Any
from pathlib import Path

import openpyxl
import pytest

import elinvoima_xl
from elinvoima_xl.core.errors import ElinvoimaError
from elinvoima_xl.jobs.init_folder import CONF_FILE, README_FILE, WORKBOOK_FILE, init_folder, windows_interpreter, \
    xlwings_conf
from elinvoima_xl.sources.load import BUNDLED_CSV, bundled_path, bundled_review
from elinvoima_xl.jobs.team_workbook import DEFAULT_WORKBOOK
from elinvoima_xl.workbook.vba import MACROS_DIR, xlwings_standalone_modules

REPO = Path(__file__).resolve().parents[1]
PACKAGE = Path(elinvoima_xl.__file__).resolve().parent
COMMITTED = REPO / "workbook" / "Elinvoima.xlsm"
GUIDE = REPO / "docs" / "kayttoopas.md"
WHEEL_NAME = f"elinvoima_xl-{elinvoima_xl.__version__}-py3-none-any.whl"
WHEEL_LIMIT = 400_000   # bytes: code, macros, the bundled review and the README as metadata; 300 kB (98 files) today


def run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False)


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run([sys.executable, "-m", "elinvoima_xl", *args], cwd)


# --- package data and default paths -------------------------------------------------------------

def _package_data_patterns() -> dict[str, list[str]]:
    return tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["package-data"]


def test_macros_are_package_data_and_the_top_level_folder_is_the_same_files() -> None:
    assert MACROS_DIR.resolve().parent == PACKAGE
    top = REPO / "macros"
    if not top.is_symlink() and os.name == "nt":
        pytest.skip("this checkout has no symbolic links (git core.symlinks=false): edit elinvoima_xl/macros")
    assert top.is_symlink() and top.resolve() == MACROS_DIR.resolve()
    names = sorted(p.name for p in MACROS_DIR.iterdir() if p.is_file() and p.suffix != ".py")
    assert {"Elinvoima.bas", "xlwings_udfs.bas", "customUI14.xml"} <= set(names)
    patterns = _package_data_patterns()["elinvoima_xl.macros"]
    assert all(any(fnmatch.fnmatch(n, p) for p in patterns) for n in names), (names, patterns)


def test_bundled_data_is_covered_by_package_data() -> None:
    patterns = _package_data_patterns()["elinvoima_xl.data"]
    names = [p.name for p in (PACKAGE / "data").iterdir() if p.is_file() and p.suffix != ".py"]
    assert names and all(any(fnmatch.fnmatch(n, p) for p in patterns) for n in names), (names, patterns)


def test_default_workbook_is_in_the_current_folder(tmp_path: Path) -> None:
    assert not DEFAULT_WORKBOOK.is_absolute()
    r = cli("build", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "Elinvoima.xlsm").read_bytes() == COMMITTED.read_bytes()
    r = cli("rebuild", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "Elinvoima.edellinen.xlsm").read_bytes() == COMMITTED.read_bytes()


def test_version() -> None:
    r = cli("--version", cwd=REPO)
    assert r.returncode == 0
    assert r.stdout.startswith(f"elinvoima {elinvoima_xl.__version__} (Python ") and sys.executable in r.stdout
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "elinvoima_xl.__version__"}


# --- init ----------------------------------------------------------------------------------------

@pytest.mark.skipif(sys.platform == "win32", reason="the note for other systems")
def test_init_makes_the_folder_and_refuses_to_overwrite(tmp_path: Path) -> None:
    r = cli("init", "Elinvoima2023", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    folder = tmp_path / "Elinvoima2023"
    assert sorted(p.name for p in folder.iterdir()) == sorted([WORKBOOK_FILE, CONF_FILE, README_FILE])
    assert (folder / WORKBOOK_FILE).read_bytes() == COMMITTED.read_bytes()   # the bundled review, as `build`
    assert (folder / CONF_FILE).read_bytes() == b'"INTERPRETER_WIN",""\r\n'   # left for the user...
    assert "ei ole Windows" in r.stdout and "INTERPRETER_WIN" in r.stdout   # ...with a note
    readme = (folder / README_FILE).read_bytes().decode("utf-8-sig")
    assert "Ota sisältö käyttöön" in readme and "Poista esto" in readme and "INTERPRETER_WIN" in readme
    assert "elinvoima rebuild Elinvoima.xlsm" in readme and "\r\n" in readme

    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    r = cli("init", "Elinvoima2023", cwd=tmp_path)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1
    assert "kansiossa on jo Elinvoima.xlsm, xlwings.conf, LUE_MINUT.txt" in r.stderr
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before


def test_init_refuses_when_any_one_file_is_there_and_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / CONF_FILE).write_bytes(b'"INTERPRETER_WIN","D:\\oma\\pythonw.exe"\r\n')
    r = cli("init", cwd=tmp_path)
    assert r.returncode == 2 and "kansiossa on jo xlwings.conf" in r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == [CONF_FILE]


def test_init_with_data(tmp_path: Path, built_csv_workbook: bytes) -> None:
    csv = bundled_path(BUNDLED_CSV)
    r = cli("init", "kansio", "--data", str(csv), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "kansio" / WORKBOOK_FILE).read_bytes() == built_csv_workbook    # the build of that file


def test_init_with_bad_data_makes_no_folder(tmp_path: Path) -> None:
    bad = tmp_path / "tiedot.csv"
    bad.write_text("taso;alue;rivi;TA 2023 (€);TOT 2023 6 kk (€)\npalvelualue;A;Myyntituotot;1 000;kymmenen\n",
                   encoding="utf-8")
    r = cli("init", "kansio", "--data", "tiedot.csv", cwd=tmp_path)
    assert r.returncode == 2 and "rivi 2" in r.stderr and "'kymmenen'" in r.stderr
    assert not (tmp_path / "kansio").exists()


def test_on_windows_the_conf_names_pythonw_in_the_ansi_code_page(tmp_path: Path) -> None:
    exe = r"C:\Users\Mäkinen\AppData\Local\Programs\Python\Python312\python.exe"
    assert windows_interpreter(exe, exists=True) == exe.replace("python.exe", "pythonw.exe")
    assert windows_interpreter(exe, exists=False) == exe          # no pythonw: python.exe still runs
    venv = r"D:\työ\elinvoima\.venv\Scripts\python.exe"
    assert windows_interpreter(venv, exists=True) == r"D:\työ\elinvoima\.venv\Scripts\pythonw.exe"

    report = init_folder(tmp_path / "k", bundled_review(), platform="win32", executable=exe)
    conf = (tmp_path / "k" / CONF_FILE).read_bytes()
    assert conf == b'"INTERPRETER_WIN","' + exe.encode("cp1252") + b'"\r\n'
    assert b"M\xe4kinen" in conf                                  # 'ä' as one cp1252 byte, as VBA reads it
    assert report.interpreter == exe and exe in report.summary()
    assert exe in (tmp_path / "k" / README_FILE).read_text(encoding="utf-8-sig")


def test_a_path_vba_cannot_read_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    with pytest.raises(ElinvoimaError, match="Asenna Python kansioon"):
        init_folder(tmp_path / "k", bundled_review(), platform="win32", executable=r"C:\Ωmega\python.exe")
    assert not (tmp_path / "k").exists()
    with pytest.raises(ElinvoimaError, match="lainausmerkki"):
        xlwings_conf('C:\\a"b\\pythonw.exe')


def _vba_input_pairs(data: bytes) -> dict[str, str]:
    """The file as VBA's `Input #f, name, value` reads it: quoted, comma-separated pairs, one a line."""
    pairs = {}
    for line in data.decode("cp1252").split("\r\n"):
        if line:
            m = re.fullmatch(r'"([^"]*)","([^"]*)"', line)
            assert m, line
            pairs[m.group(1)] = m.group(2)
    return pairs


def test_xlwings_reads_the_conf_file_beside_the_workbook_and_the_sheet_does_not_hide_it() -> None:
    # What the workbook's own xlwings module does (taken from the pinned xlwings' standalone workbook).
    source = dict((name, text) for name, text, _cls in xlwings_standalone_modules())["xlwings"]
    assert 'interpreter = GetConfig("INTERPRETER_WIN", "")' in source
    assert 'GetDirectoryPath(ThisWorkbook) & pathSeparator & PROJECT_NAME & ".conf"' in source
    assert "Input #iFileNum, sVarName, sVarValue" in source and "LCase(sVarName) = LCase(sName)" in source
    # The sheet wins over the file for every key it lists, even with an empty value:
    sheet_first = source.index("GetConfigFromSheet(ThisWorkbook).Exists(configKey)")
    assert sheet_first < source.index("GetDirectoryConfigFilePath(), configKey, configValue")
    wb = openpyxl.load_workbook(COMMITTED)
    keys = {str(r[0]).upper(): r[1] for r in wb["xlwings.conf"].iter_rows(max_col=2, values_only=True) if r[0]}
    assert "INTERPRETER_WIN" not in keys and all(v not in (None, "") for v in keys.values()), keys
    assert _vba_input_pairs(xlwings_conf(r"C:\Python312\pythonw.exe")) == {"INTERPRETER_WIN": r"C:\Python312\pythonw.exe"}


# --- the user's guide ------------------------------------------------------------------------------

def guide_commands() -> list[str]:
    """Every command line of the guide's `powershell` blocks, in the order a reader types them."""
    text = GUIDE.read_text(encoding="utf-8")
    blocks = re.findall(r"^```powershell\n(.*?)^```", text, flags=re.M | re.S)
    return [line.strip() for block in blocks for line in block.splitlines()
            if line.strip() and not line.strip().startswith("#")]


def run_guide(cwd: Path, elinvoima: list[str], pip_install: Callable[[str], None],
              env: dict[str, str] | None = None) -> list[str]:
    """Run the guide's commands as written; return the `elinvoima` commands run."""
    done = []
    for line in guide_commands():
        words = shlex.split(line)
        if words[:4] == ["py", "-m", "pip", "install"] and len(words) == 5:
            pip_install(words[4])
        elif words[0] == "cd" and len(words) == 2:
            cwd = cwd / words[1]
            assert cwd.is_dir(), line
        elif words[0] == "elinvoima":
            r = run([*elinvoima, *words[1:]], cwd, env)
            # `check` exits 1 when it finds errors (the bundled review has seven); everything else succeeds.
            assert r.returncode in ((0, 1) if words[1] == "check" else (0,)), (line, r.stdout, r.stderr)
            assert "Traceback" not in r.stderr
            done.append(line)
        else:
            pytest.fail(f"docs/kayttoopas.md: a command the test does not know how to run: {line}")
    return done


def test_guide_commands_run_in_order(tmp_path: Path) -> None:
    installs: list[str] = []
    done = run_guide(tmp_path, [sys.executable, "-m", "elinvoima_xl"], installs.append)
    assert installs == [WHEEL_NAME, "./elinvoima-xl"]        # the wheel's real name; the repository folder
    assert [d.split()[1] for d in done] == ["--version", "init", "generate-ledger", "import", "rebuild", "check"]
    folder = tmp_path / "Elinvoima2023"
    assert (folder / "Elinvoima.edellinen.xlsm").exists() and (folder / "kirjanpito.csv").exists()
    wb = openpyxl.load_workbook(folder / WORKBOOK_FILE, read_only=True)
    assert "Tuonnit" in wb.sheetnames        # the import was recorded in the workbook


def test_guide_images_exist_and_the_readme_links_the_guide() -> None:
    text = GUIDE.read_text(encoding="utf-8")
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert len(images) >= 4
    for image in images:
        path = GUIDE.parent / image
        assert path.is_file() and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", image
    assert "docs/kayttoopas.md" in (REPO / "README.md").read_text(encoding="utf-8")


# --- the built wheel in a fresh venv, outside the checkout -------------------------------------------

def _wheel_tests_enabled() -> bool:
    return bool(os.environ.get("CI") or os.environ.get("ELINVOIMA_WHEEL_TEST"))


_wheel_skip = pytest.mark.skipif(not _wheel_tests_enabled(),
                                 reason="wheel tests SKIPPED: `make wheel-test` builds the wheel and installs it in "
                                        "a fresh venv (needs the package index; CI runs them)")


def wheel(test: Any) -> Any:
    """A wheel test: skipped outside CI and `make wheel-test`, and `slow` (left out by `pytest -m "not slow"`)."""
    return pytest.mark.slow(_wheel_skip(test))


class Installed:
    """The sdist and wheel built from this checkout, and a fresh venv with the wheel installed."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.dist = root / "dist"
        r = run([sys.executable, "-m", "build", "--outdir", str(self.dist), str(REPO)], root)
        assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
        self.wheel = self.dist / WHEEL_NAME
        self.sdist = next(self.dist.glob("elinvoima_xl-*.tar.gz"))
        self.venv = root / "venv"
        r = run([sys.executable, "-m", "venv", str(self.venv)], root)
        assert r.returncode == 0, r.stderr
        scripts = self.venv / ("Scripts" if os.name == "nt" else "bin")
        self.python = scripts / "python"
        self.elinvoima = scripts / "elinvoima"
        self.env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
        self.pip_install(str(self.wheel))

    def pip_install(self, target: str) -> None:
        r = run([str(self.python), "-m", "pip", "install", "--quiet", "-c", str(REPO / "constraints.txt"), target],
                self.root, self.env)
        assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]

    def run(self, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
        return run([str(self.elinvoima), *args], cwd, self.env)


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    root = tmp_path_factory.mktemp("wheel")
    assert REPO not in root.parents
    return Installed(root)


@wheel
def test_wheel_carries_the_package_and_nothing_else(installed: Installed) -> None:
    size = installed.wheel.stat().st_size
    assert size < WHEEL_LIMIT, size
    with zipfile.ZipFile(installed.wheel) as z:
        names = z.namelist()
        assert all(n.startswith(("elinvoima_xl/", "elinvoima_xl-")) for n in names), names
        # the repository's folders (the committed workbook/ too); the package's own workbook/ layer belongs in it
        assert not [n for n in names if re.search(r"(^|/)(tests?|benchmarks|docs|scripts)/", n)
                    or (re.search(r"(^|/)workbook/", n) and not n.startswith("elinvoima_xl/workbook/"))
                    or n.endswith(".xlsm")]
        assert "elinvoima_xl/workbook/vba.py" in names and "elinvoima_xl/ooxml/docprops.py" in names
        for source in [*MACROS_DIR.iterdir(), *(PACKAGE / "data").iterdir()]:
            if source.is_file() and source.suffix != ".pyc":
                packaged = f"elinvoima_xl/{source.parent.name}/{source.name}"
                assert z.read(packaged) == source.read_bytes(), packaged      # the packaged copy is the source
    with tarfile.open(installed.sdist) as t:
        in_sdist = {Path(n).name for n in t.getnames() if "/elinvoima_xl/macros/" in n}
    assert {"Elinvoima.bas", "xlwings_udfs.bas", "customUI14.xml"} <= in_sdist
    print(f"\n{installed.wheel.name}: {size} bytes, {len(names)} files")


@wheel
def test_installed_wheel_does_every_job_outside_the_checkout(installed: Installed,
                                                           tmp_path_factory: pytest.TempPathFactory) -> None:
    work = tmp_path_factory.mktemp("work")
    where = run([str(installed.python), "-c", "import elinvoima_xl; print(elinvoima_xl.__file__)"], work, installed.env)
    assert Path(where.stdout.strip()).is_relative_to(installed.venv), where.stdout

    r = installed.run("--version", cwd=work)
    assert r.returncode == 0 and r.stdout.startswith(f"elinvoima {elinvoima_xl.__version__} ")
    assert str(installed.venv) in r.stdout

    r = installed.run("init", "kansio", cwd=work)
    assert r.returncode == 0, r.stderr
    assert (work / "kansio" / WORKBOOK_FILE).read_bytes() == COMMITTED.read_bytes()
    assert (work / "kansio" / CONF_FILE).exists() and (work / "kansio" / README_FILE).exists()
    assert installed.run("init", "kansio", cwd=work).returncode == 2

    r = installed.run("build", "-o", "X.xlsm", cwd=work)
    assert r.returncode == 0, r.stderr
    assert (work / "X.xlsm").read_bytes() == COMMITTED.read_bytes()     # the installed macros are the source's
    r = installed.run("rebuild", "X.xlsm", cwd=work)
    assert r.returncode == 0 and "virheitä 7" in r.stdout, r.stdout + r.stderr
    r = installed.run("check", "X.xlsm", cwd=work)
    assert r.returncode == 1 and "virhe" in r.stdout.lower()
    r = installed.run("rebuild", cwd=work / "kansio")                     # the default: ./Elinvoima.xlsm
    assert r.returncode == 0, r.stderr

    r = installed.run("generate-ledger", "-o", "k.csv", "--budget-output", "ta.csv", cwd=work)
    assert r.returncode == 0, r.stderr
    r = installed.run("import", "k.csv", "--budget", "ta.csv", "--into", "X.xlsm", cwd=work)
    assert r.returncode == 0, r.stderr
    wb = openpyxl.load_workbook(io.BytesIO((work / "X.xlsm").read_bytes()), read_only=True)
    assert "Tuonnit" in wb.sheetnames and "Kohdistus" in wb.sheetnames

    r = installed.run("check", "puuttuu.xlsm", cwd=work)
    assert r.returncode == 2 and r.stderr.strip() == "puuttuu.xlsm: tiedostoa ei löydy. Tarkista polku ja tiedoston nimi."
    (work / "bad.csv").write_text("taso;alue;rivi;TA 2023 (€);TOT 2023 6 kk (€)\n"
                                  "palvelualue;Kirjasto;Myyntituotot;12 000;1 2x0\n", encoding="utf-8")
    r = installed.run("check", "bad.csv", cwd=work)
    lines = r.stderr.strip().splitlines()
    assert r.returncode == 2 and len(lines) == 1 and "bad.csv" in lines[0] and "rivi 2" in lines[0], r.stderr
    assert not re.search(r"\b[A-Z]\w*Error\b", lines[0])


@wheel
def test_the_guide_runs_with_the_installed_wheel(installed: Installed, tmp_path_factory: pytest.TempPathFactory) -> None:
    work = tmp_path_factory.mktemp("guide")

    def pip_install(target: str) -> None:
        if target.endswith(".whl"):
            assert target == installed.wheel.name       # the name the guide tells the user to install
            installed.pip_install(str(installed.wheel))
        else:
            assert target == "./elinvoima-xl"           # the repository folder; installing it is `pip install .`

    done = run_guide(work, [str(installed.elinvoima)], pip_install, installed.env)
    assert len(done) == 6


@pytest.mark.libreoffice
def test_screenshots_script_renders_every_picture_of_the_guide(tmp_path: Path) -> None:
    import shutil
    import struct

    from .spreadsheet_engine import soffice

    soffice()   # skips loudly without LibreOffice, fails in CI
    if not shutil.which("pdftoppm"):
        if os.environ.get("CI"):
            pytest.fail("pdftoppm puuttuu CI:stä: .ci/run asentaa poppler-utils-paketin.")
        pytest.skip("pdftoppm (poppler-utils) is not installed: screenshot test SKIPPED")
    r = run([sys.executable, str(REPO / "scripts" / "screenshots.py"), str(tmp_path)], REPO)
    assert r.returncode == 0, r.stderr

    def size(png: bytes) -> tuple[int, int]:
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and png[12:16] == b"IHDR"
        return struct.unpack(">II", png[16:24])

    committed = {p.name: p for p in (GUIDE.parent / "img").glob("*.png")}
    rendered = {p.name: p for p in tmp_path.glob("*.png")}
    assert rendered.keys() == committed.keys()
    for name, path in rendered.items():
        assert size(path.read_bytes()) == size(committed[name].read_bytes()), name   # same page, same dpi
        assert path.stat().st_size > 10_000, name                                     # not a blank page
