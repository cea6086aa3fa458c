"""The command line: every job also runs without Excel (`elinvoima check`, `elinvoima show`, …)."""

from __future__ import annotations

__all__ = ["main"]

import json
import sys
from pathlib import Path

import click

from .calc import Settings
from .checks import has_errors, run_checks
from .errors import ElinvoimaError
from .load import load_review
from .report import findings_to_json, render_findings, render_tables, tables_to_json

_PATH = click.argument("path", required=False, type=click.Path(path_type=Path))


def _settings(abs_pct: bool, forecast: str, expenses_positive: bool | None = None) -> Settings:
    return Settings(pct_absolute=abs_pct, forecast_method=forecast,  # type: ignore[arg-type]
                    expenses_positive=expenses_positive)


_OPTIONS = [
    click.option("--json", "as_json", is_flag=True, help="Tulosta JSON (rakenne: README)."),
    click.option("--abs-pct", is_flag=True, help="Toteuma-% aina positiivisena."),
    click.option("--forecast", type=click.Choice(["seasonal", "linear"]), default="seasonal",
                 show_default=True, help="Ennustetapa."),
    click.option("--expenses-positive/--expenses-negative", "expenses_positive", default=None,
                 help="Kulut painettu positiivisina / negatiivisina (oletus: tunnistetaan luvuista "
                      "tai tietojen asetuksesta)."),
]


def _with_options(f):  # type: ignore[no-untyped-def]
    for option in reversed(_OPTIONS):
        f = option(f)
    return f


def _echo_json(data: object) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Elinvoima: talouden seuranta ja osavuosikatsaus.

    PATH is a published review text (.txt), a data file (.csv/.xlsx) or omitted for the
    bundled review 1–6/2023.
    """


@main.command()
@_PATH
@_with_options
@click.option("--all", "show_all", is_flag=True, help="Näytä myös jokainen pyöristysero.")
def check(path: Path | None, as_json: bool, abs_pct: bool, forecast: str, expenses_positive: bool | None,
          show_all: bool) -> None:
    """Check every sum, printed figure and label; exit 1 when there are errors."""
    from .calc import convention_for, describe_convention

    review = load_review(path)
    settings = _settings(abs_pct, forecast, expenses_positive)
    findings = run_checks(review, settings)
    if as_json:
        _echo_json(findings_to_json(findings, review, settings))
    else:
        click.echo(render_findings(findings, show_all, describe_convention(convention_for(review, settings))))
    sys.exit(1 if has_errors(findings) else 0)


@main.command()
@_PATH
@_with_options
def show(path: Path | None, as_json: bool, abs_pct: bool, forecast: str, expenses_positive: bool | None) -> None:
    """Print the tables with Jäljellä, % and the year-end forecast computed."""
    review = load_review(path)
    settings = _settings(abs_pct, forecast, expenses_positive)
    if as_json:
        _echo_json(tables_to_json(review, settings))
    else:
        click.echo(render_tables(review, settings))


@main.command()
@_PATH
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path),
              help="Kohdetiedosto: .csv tai .xlsx.")
def export(path: Path | None, output: Path) -> None:
    """Write the figures of PATH as a data file (.csv or .xlsx)."""
    from .fileio import write_atomic
    from .sources.datafile import write_data_csv, write_data_xlsx

    review = load_review(path)
    data = write_data_xlsx(review) if output.suffix.lower() == ".xlsx" else write_data_csv(review)
    write_atomic(output, data)
    click.echo(f"Kirjoitettu {output}")


@main.command()
@click.option("--data", "data", type=click.Path(path_type=Path), default=None,
              help="Tiedot: katsauksen teksti, .csv tai .xlsx (oletus: mukana tuleva 1–6/2023).")
@click.option("-o", "--output", type=click.Path(path_type=Path), default=None,
              help="Kohde (oletus workbook/Elinvoima.xlsm).")
@click.option("--abs-pct", is_flag=True, help="Toteuma-% aina positiivisena.")
@click.option("--forecast", type=click.Choice(["seasonal", "linear"]), default="seasonal", show_default=True)
def build(data: Path | None, output: Path | None, abs_pct: bool, forecast: str) -> None:
    """Build the team's macro workbook (.xlsm) from data: sheets, formulas, checks, macros, ribbon."""
    from .team_workbook import DEFAULT_WORKBOOK, build_workbook, save_workbook

    target = output or DEFAULT_WORKBOOK
    if target.suffix.lower() != ".xlsm":
        raise click.BadParameter("tiimin työkirja on makrotyökirja: anna .xlsm-tiedosto.", param_hint="--output")
    review = load_review(data)
    backup = save_workbook(target, build_workbook(review, _settings(abs_pct, forecast)))
    click.echo(f"Kirjoitettu {target}" + (f" (edellinen: {backup.name})" if backup else ""))


@main.command()
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option("--abs-pct", is_flag=True, help="Toteuma-% aina positiivisena.")
@click.option("--forecast", type=click.Choice(["seasonal", "linear"]), default="seasonal", show_default=True)
def rebuild(path: Path | None, abs_pct: bool, forecast: str) -> None:
    """Regenerate the area sheets, summary and checks of a team workbook from its Tiedot sheet."""
    from .team_workbook import DEFAULT_WORKBOOK, rebuild_workbook

    target = path or DEFAULT_WORKBOOK
    report, backup = rebuild_workbook(target, _settings(abs_pct, forecast))
    click.echo(f"Päivitetty {target}: {len(report.replaced)} välilehteä luotu uudelleen, "
               f"{len(report.kept)} säilytetty ({', '.join(report.kept)}); "
               f"havaintoja {report.findings}, virheitä {report.errors}."
               + (f" Edellinen versio: {backup.name}" if backup else ""))


@main.command()
@click.argument("name", type=click.Choice(["luo_valilehdet", "paivita_yhteenveto", "tarkista_summat", "rebuild"]))
@click.argument("path", required=False, type=click.Path(path_type=Path))
def job(name: str, path: Path | None) -> None:
    """Run one ribbon job on a team workbook (the same code as the button in Excel)."""
    from .team_workbook import DEFAULT_WORKBOOK, run_job_on_file

    target = path or DEFAULT_WORKBOOK
    report, backup = run_job_on_file(target, name, on_progress=lambda text: click.echo(text, err=True))
    click.echo(f"{target}: {report.summary()}" + (f" Edellinen versio: {backup.name}" if backup else ""))


@main.command(name="import")
@click.argument("ledger", type=click.Path(path_type=Path))
@click.option("--into", "into", required=True, type=click.Path(path_type=Path),
              help="Kohde: tietotiedosto (.csv) tai tiimin työkirja (.xlsm).")
@click.option("--budget", "budget", type=click.Path(path_type=Path), default=None,
              help="Talousarviotiedosto: kustannuspaikka;tili;talousarvio.")
@click.option("--map", "mapping", type=click.Path(path_type=Path), default=None,
              help="Kohdistustaulukko (oletus: työkirjan Kohdistus-välilehti tai mukana tuleva).")
@click.option("--kohdistamattomat", is_flag=True,
              help="Kohdistamattomat rivit riville/alueelle Kohdistamattomat (muuten tuonti pysähtyy).")
def import_(ledger: Path, into: Path, budget: Path | None, mapping: Path | None, kohdistamattomat: bool) -> None:
    """Import a ledger export (CSV or .xlsx) into a data file or the team workbook."""
    from .importer import import_ledger

    report = import_ledger(ledger, into, budget, mapping, kohdistamattomat)
    click.echo(report.summary() + (f" Edellinen versio: {report.backup.name}" if report.backup else ""))


@main.command(name="generate-ledger")
@click.option("--data", "data", type=click.Path(path_type=Path), default=None,
              help="Tiedot, joiden summiin kirjaukset osuvat (oletus: mukana tuleva 1–6/2023).")
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path), help="Kirjanpidon CSV.")
@click.option("--budget-output", type=click.Path(path_type=Path), default=None, help="Talousarvion CSV.")
@click.option("--seed", type=int, default=2023, show_default=True)
def generate_ledger(data: Path | None, output: Path, budget_output: Path | None, seed: int) -> None:
    """Write a realistic ledger (and budget) whose sums are exactly the figures of DATA."""
    from .fileio import write_atomic
    from .load import bundled_path
    from .sources.ledger import DEFAULT_MAPPING, read_mapping
    from .sources.ledger_generator import ledger_for_review

    review = load_review(data if data is not None else bundled_path("heinola_elinvoima_1-6_2023.csv"))
    mapping = read_mapping(bundled_path(DEFAULT_MAPPING).read_bytes(), DEFAULT_MAPPING)
    ledger, budget = ledger_for_review(review, mapping, seed)
    write_atomic(output, ledger)
    if budget_output is not None:
        write_atomic(budget_output, budget)
    click.echo(f"Kirjoitettu {output}" + (f" ja {budget_output}" if budget_output else ""))


def run() -> None:
    """Console entry point: user mistakes end as one line on stderr and exit 2, never a traceback."""
    try:
        main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Keskeytetty.", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except ElinvoimaError as exc:
        click.echo(f"{type(exc).__name__}: {exc}", err=True)
        sys.exit(2)
    except OSError as exc:
        click.echo(f"{type(exc).__name__}: {exc.strerror or exc}: {exc.filename or ''}", err=True)
        sys.exit(2)


if __name__ == "__main__":
    run()
