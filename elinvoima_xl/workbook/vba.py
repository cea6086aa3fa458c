"""The workbook's VBA project from text: xlwings' standalone module, our `macros/*.bas`, and the generated UDF wrappers.

`macros/xlwings_udfs.bas` is committed; `python scripts/udf_wrappers.py` (a developer's tool, not
in the package) regenerates it from the Python UDFs with xlwings' own generator, and a test fails
when the committed file and the UDFs drift apart.
"""

from __future__ import annotations

__all__ = ["MACROS_DIR", "RIBBON_FILE", "UDF_MODULE_FILE", "VBA_PROJECT_HEADER", "conform_vba_project",
           "macro_sources", "project_modules", "xlwings_standalone_modules"]

import importlib.util
import io
from importlib import resources
from pathlib import Path

from ..core.errors import ElinvoimaError

# Package data (importlib.resources), so an installed wheel finds it; the repository's `macros/` links here.
MACROS_DIR = Path(str(resources.files("elinvoima_xl.macros")))
RIBBON_FILE = "customUI14.xml"
UDF_MODULE_FILE = "xlwings_udfs.bas"


def _xlwings_dir() -> Path:
    spec = importlib.util.find_spec("xlwings")   # located, not imported: the CLI never imports xlwings
    if spec is None or spec.origin is None:
        raise ElinvoimaError("xlwings-pakettia ei löydy: asenna riippuvuudet (make setup).")
    return Path(spec.origin).parent


def xlwings_standalone_modules() -> list[tuple[str, str, bool]]:
    """(name, source, is_class) of the VBA modules xlwings' standalone workbook needs: `xlwings`, `Dictionary`.

    Taken from the `quickstart_standalone.xlsm` the pinned xlwings package ships (BSD-3), so the
    team's workbook runs `RunPython` and the UDFs without the xlwings add-in.
    """
    import pyopenvba

    with pyopenvba.ExcelFile(_xlwings_dir() / "quickstart_standalone.xlsm") as book:
        kinds = {m.name: m.kind for m in book.vba_project().modules}
        sources = book.vba_modules()
    return [(name, sources[name], kinds[name] == pyopenvba.VBAModuleKind.other) for name in ("xlwings", "Dictionary")]


def macro_sources(macros_dir: Path = MACROS_DIR) -> list[tuple[str, str]]:
    """(module name, source) of every `macros/*.bas`, sorted by file name."""
    if not macros_dir.is_dir():
        raise ElinvoimaError(f"makrokansiota ei löydy: {macros_dir}")
    out = []
    for path in sorted(macros_dir.glob("*.bas")):
        text = path.read_text(encoding="utf-8")
        first = text.splitlines()[0] if text else ""
        if not first.startswith('Attribute VB_Name = "'):
            raise ElinvoimaError(f"{path}: ensimmäisen rivin pitää olla Attribute VB_Name = \"...\"")
        out.append((first.split('"')[1], text))
    return out


def project_modules(macros_dir: Path = MACROS_DIR) -> list[tuple[str, str, bool]]:
    """Every module the team's workbook carries besides its document modules, in project order."""
    return [*xlwings_standalone_modules(), *((n, s, False) for n, s in macro_sources(macros_dir))]


# [MS-OVBA] 2.3.4.1: Reserved1 0x61CC, Version 0xFFFF, Reserved2 0x00, Reserved3 0x0000 and no performance
# cache: the version-independent form, which Office compiles from the modules' source on first open.
VBA_PROJECT_HEADER = bytes.fromhex("CC61FFFF000000")


def conform_vba_project(data: bytes) -> bytes:
    """A vbaProject.bin as MS-OVBA writes it for any Office version: `_VBA_PROJECT` is the 7-byte header
    without a performance cache, and no module keeps compiled code (every MODULEOFFSET is 0).

    Modules that carried p-code (from a template) are rewritten as their compressed source alone,
    and the dir stream with them; every other stream is kept.
    """
    from pyopenvba.cfb import CFB
    from pyopenvba.vba import compress, parse_vba_project, serialize_dir_stream, write_back_modules

    cfb = CFB.from_bytes(data)
    project = parse_vba_project(cfb)
    for module in project.modules:
        if module.text_offset:
            module.source = module.source       # loaded, and rewritten without the bytes before it
            module.dirty = True
    write_back_modules(cfb, project)
    if project.dir_structure_dirty:
        cfb.write_stream_in_storage("VBA", "dir", compress(serialize_dir_stream(project)))
    cfb.write_stream_in_storage("VBA", "_VBA_PROJECT", VBA_PROJECT_HEADER)
    return cfb.to_bytes()


VBA_PART = "xl/vbaProject.bin"
_WORKSHEET_BASE = "0{00020820-0000-0000-C000-000000000046}"     # VB_Base of a worksheet's document module


def add_document_modules(data: bytes, only: set[str] | None = None) -> tuple[bytes, list[str]]:
    """The .xlsm package with a code name and an (empty) document module for every worksheet lacking one,
    as Excel gives a sheet added in it; and the sheets that got one. `only` limits it to those sheets
    (the ones a job wrote: the team's own sheets are never touched).

    This is the only change a rebuild or an import ever makes to the VBA project: the modules
    already there keep their source and streams (`vba_project_grew_only` checks it). A package
    where every sheet has a code name comes back as it was.
    """
    import tempfile
    import zipfile
    from pathlib import Path

    import pyopenvba
    from pyopenvba._new_project import document_header

    from ..ooxml.opc import Package, Workbook, sheet_code_name, with_sheet_code_name

    pkg = Package(data)
    if VBA_PART not in pkg:
        return data, []
    workbook = Workbook(pkg)
    sheets = [(s.name, s.part) for s in workbook.sheets if s.part in pkg]
    wanted = [(s, p) for s, p in sheets if only is None or s in only]
    missing = [(s, p) for s, p in wanted if sheet_code_name(pkg.read(p)) is None]
    if not missing:
        return data, []
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        infos = z.infolist()
    contents = {i.filename: pkg.read(i.filename) for i in infos}
    code_of = {s: sheet_code_name(pkg.read(p)) for s, p in sheets}
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "in.xlsm", Path(tmp) / "out.xlsm"
        src.write_bytes(data)
        with pyopenvba.ExcelFile(src) as book:
            project = book.vba_project()
            taken = {m.name.casefold() for m in project.modules}
            taken |= {code.casefold() for code in code_of.values() if code is not None}
            taken.add((workbook.code_name or "ThisWorkbook").casefold())
            k = 1
            for _sheet, part in missing:
                while f"sheet{k}" in taken:
                    k += 1
                code = f"Sheet{k}"
                taken.add(code.casefold())
                project.add_module(code, document_header(code, _WORKSHEET_BASE), kind=pyopenvba.VBAModuleKind.other)
                contents[part] = with_sheet_code_name(pkg.read(part), code)
            book.save(dst)
        with zipfile.ZipFile(dst) as z:
            contents[VBA_PART] = z.read(VBA_PART)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        for info in infos:
            z.writestr(info, contents[info.filename], compress_type=zipfile.ZIP_DEFLATED, compresslevel=1)
    return out.getvalue(), [s for s, _ in missing]


def vba_project_grew_only(before: bytes, after: bytes) -> bool:
    """True when `after` holds every module of `before` with the same source, and only document modules besides."""
    from pyopenvba.cfb import CFB
    from pyopenvba.vba import parse_vba_project

    old = {m.name: m for m in parse_vba_project(CFB.from_bytes(before)).modules}
    new = {m.name: m for m in parse_vba_project(CFB.from_bytes(after)).modules}
    if any(name not in new or new[name].source != m.source for name, m in old.items()):
        return False
    return all(_WORKSHEET_BASE in m.source and "Sub " not in m.source and "Function " not in m.source
               for name, m in new.items() if name not in old)
