"""The one job registry agrees with the real VBA module, the real ribbon XML, the ribbon's functions and the CLI."""

from __future__ import annotations

import ast
import inspect
import re

import click
from defusedxml import ElementTree

from elinvoima_xl.jobs import workbook_jobs as jobs

from elinvoima_xl.excel import ribbon
from elinvoima_xl.workbook.vba import MACROS_DIR
from elinvoima_xl.cli import main
from elinvoima_xl.jobs.registry import REGISTRY, button_jobs, sheet_job_ids

MACROS = MACROS_DIR
SUB = re.compile(r"^Public Sub (\w+)\(control As IRibbonControl\)\n(.*?)^End Sub", re.M | re.S)
# RunPython "python code" & ... : the first VBA string literal after RunPython ("" is an escaped quote)
RUN_PYTHON = re.compile(r'RunPython\s+"((?:[^"]|"")*)"')


def _ribbon_subs() -> dict[str, list[str]]:
    """Every ribbon callback Sub of the real Elinvoima.bas -> the Python code of its RunPython calls."""
    text = (MACROS / "Elinvoima.bas").read_text(encoding="utf-8").replace("\r\n", "\n")
    # a VBA line continuation (" _" at the end of a line) joins the next line
    text = re.sub(r" _\n\s*", " ", text)
    return {m[1]: [code.replace('""', '"') for code in RUN_PYTHON.findall(m[2])] for m in SUB.finditer(text)}


def _targets(code: str) -> list[tuple[str, str]]:
    """(module, function) that one RunPython line calls: `import M as r; r.f(...)`."""
    tree = ast.parse(code.split("; ", 1)[0])
    imported = tree.body[0]
    assert isinstance(imported, ast.Import) and len(imported.names) == 1, code
    alias = imported.names[0]
    calls = re.findall(rf"\b{re.escape(alias.asname or alias.name)}\.(\w+)\(", code.split("; ", 1)[1])
    return [(alias.name, f) for f in calls]


def test_the_real_bas_has_ribbon_subs() -> None:
    subs = _ribbon_subs()
    assert len(subs) == 6 and all(len(codes) == 1 for codes in subs.values()), subs


def test_every_run_python_target_is_a_registered_ribbon_function() -> None:
    functions = {j.button.function for j in button_jobs() if j.button}
    for sub, codes in _ribbon_subs().items():
        for code in codes:
            targets = _targets(code)
            assert len(targets) == 1, (sub, code)
            module, function = targets[0]
            assert module == "elinvoima_xl.ribbon", (sub, code)
            assert function in functions, f"{sub} calls ribbon.{function}, which the registry does not name"
            assert callable(getattr(ribbon, function))


def test_every_button_of_the_registry_has_its_sub_calling_its_function() -> None:
    subs = _ribbon_subs()
    for job in button_jobs():
        assert job.button is not None
        assert job.button.macro in subs, f"no Sub {job.button.macro} in Elinvoima.bas for {job.id}"
        assert [f for code in subs[job.button.macro] for _m, f in _targets(code)] == [job.button.function]
    assert set(subs) == {j.button.macro for j in button_jobs() if j.button}


def test_the_ribbon_xml_buttons_are_the_registry_buttons() -> None:
    root = ElementTree.fromstring((MACROS / "customUI14.xml").read_bytes())
    buttons = [(b.get("label"), b.get("onAction")) for b in root.iter() if b.tag.endswith("}button")]
    assert buttons == [(j.button.label, j.button.macro) for j in button_jobs() if j.button]


def test_the_ribbon_table_and_functions_come_from_the_registry() -> None:
    assert list(ribbon.JOBS) == [j.button.label for j in button_jobs() if j.button]
    for job in button_jobs():
        assert job.button is not None
        assert ribbon.JOBS[job.button.label] == (job.button.function, job.id, job.button.command)
        assert job.button.function in ribbon.__all__ and callable(getattr(ribbon, job.button.function))
        params = inspect.signature(getattr(ribbon, job.button.function)).parameters.values()
        assert all(p.default is None for p in params)   # the VBA passes only what its dialogs ask


def test_the_cli_job_choices_are_the_sheet_jobs_and_keep_their_ids() -> None:
    # users' scripts call these ids: they never change
    assert sheet_job_ids() == ["luo_valilehdet", "paivita_yhteenveto", "tarkista_summat", "rebuild"]
    assert list(jobs.JOBS) == sheet_job_ids()
    command = main.commands["job"]
    choice = next(p for p in command.params if p.name == "name").type
    assert isinstance(choice, click.Choice) and list(choice.choices) == sheet_job_ids()
    # a ribbon button that runs a sheet job tells the command line's equivalent with its id
    for job in REGISTRY:
        if job.sheets and job.button:
            assert job.button.command == f"elinvoima job {job.id}"
    assert len({j.id for j in REGISTRY}) == len(REGISTRY)


def test_every_job_has_an_english_name_in_code_and_keeps_its_user_id() -> None:
    from elinvoima_xl.jobs import registry

    # the code's names beside the ids users type (the ids are the registry's promise: they never change)
    assert [(j.name, j.id) for j in REGISTRY] == [
        ("import", "import"), ("area_sheets", "luo_valilehdet"), ("summary", "paivita_yhteenveto"),
        ("checks", "tarkista_summat"), ("rebuild", "rebuild"), ("send", "send"), ("collect", "collect")]
    for job in REGISTRY:     # the constant the code uses is the job's name, upper case, and holds its id
        assert getattr(registry, job.name.upper()) == job.id
        assert job.name.upper() in registry.__all__
    assert len({j.name for j in REGISTRY}) == len(REGISTRY)
