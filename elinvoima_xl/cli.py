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


def _settings(abs_pct: bool, forecast: str) -> Settings:
    return Settings(pct_absolute=abs_pct, forecast_method=forecast)  # type: ignore[arg-type]


_OPTIONS = [
    click.option("--json", "as_json", is_flag=True, help="Tulosta JSON (rakenne: README)."),
    click.option("--abs-pct", is_flag=True, help="Toteuma-% aina positiivisena."),
    click.option("--forecast", type=click.Choice(["seasonal", "linear"]), default="seasonal",
                 show_default=True, help="Ennustetapa."),
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
def check(path: Path | None, as_json: bool, abs_pct: bool, forecast: str) -> None:
    """Check every sum, printed figure and label; exit 1 when there are errors."""
    review = load_review(path)
    findings = run_checks(review, _settings(abs_pct, forecast))
    if as_json:
        _echo_json(findings_to_json(findings))
    else:
        click.echo(render_findings(findings))
    sys.exit(1 if has_errors(findings) else 0)


@main.command()
@_PATH
@_with_options
def show(path: Path | None, as_json: bool, abs_pct: bool, forecast: str) -> None:
    """Print the tables with Jäljellä, % and the year-end forecast computed."""
    review = load_review(path)
    settings = _settings(abs_pct, forecast)
    if as_json:
        _echo_json(tables_to_json(review, settings))
    else:
        click.echo(render_tables(review, settings))


@main.command()
@_PATH
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path),
              help="Kohdetiedosto: .csv tai .xlsx (tiedot), .pdf (hallituksen katsaus).")
@click.option("--board", is_flag=True,
              help="Hallitukselle valmis katsaus: .xlsx tulostusasetuksin (ilman tätä .xlsx on tietotiedosto).")
def export(path: Path | None, output: Path, board: bool) -> None:
    """Write the figures of PATH as a data file (.csv, .xlsx), or the board's review (.pdf, or .xlsx with --board)."""
    from .fileio import write_atomic
    from .sources.datafile import write_data_csv, write_data_xlsx

    suffix = output.suffix.lower()
    if board or suffix == ".pdf":
        from .board import board_from_path

        if suffix not in (".pdf", ".xlsx"):
            raise click.BadParameter("hallituksen katsaus on .pdf tai .xlsx.", param_hint="--output")
        write_atomic(output, board_from_path(path, pdf=suffix == ".pdf"))
        click.echo(f"Kirjoitettu {output}")
        return
    review = load_review(path)
    data = write_data_xlsx(review) if suffix == ".xlsx" else write_data_csv(review)
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


@main.command()
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option("-o", "--output", "out_dir", required=True, type=click.Path(path_type=Path, file_okay=False),
              help="Kansio, johon palvelualueiden työkirjat kirjoitetaan.")
@click.option("--recipients", "recipients", type=click.Path(path_type=Path), default=None,
              help="Vastaanottajat (CSV alue;nimi;sähköposti;kopio;vastuu): vastuu kertoo tavoitteet.")
@click.option("--deadline", default="", help="Palautuspäivä ohjeeseen, esim. 15.8.2023.")
def split(path: Path | None, out_dir: Path, recipients: Path | None, deadline: str) -> None:
    """Write one .xlsx per service area, built from that area's data alone, into a folder."""
    from .fileio import write_atomic
    from .sending import input_from_file, split_review

    inp = input_from_file(path)
    rows = None
    if recipients is not None:
        from .recipients import csv_rows

        if not recipients.is_file():
            raise click.BadParameter(f"tiedostoa {recipients} ei löydy.", param_hint="--recipients")
        rows = [tuple(r) for r in csv_rows(recipients.read_bytes(), recipients.name)]
    books = split_review(inp, deadline=deadline, recipient_rows=rows)
    out_dir.mkdir(parents=True, exist_ok=True)
    for book in books:
        write_atomic(out_dir / book.filename, book.data)
    click.echo(f"Kirjoitettu {len(books)} työkirjaa kansioon {out_dir}.")


@main.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--recipients", "recipients", type=click.Path(path_type=Path), default=None,
              help="Vastaanottajat CSV (alue;nimi;sähköposti;kopio); oletus: työkirjan Vastaanottajat-välilehti.")
@click.option("--template", "template", type=click.Path(path_type=Path), default=None,
              help="Viestipohja: 1. rivi 'Aihe: …', sitten teksti; paikat {nimi} {alue} {kausi} {katsaus} {maaraaika}.")
@click.option("--drafts", "drafts", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Kirjoita viestit luonnoksina (.eml, X-Unsent) tähän kansioon; mitään ei lähetetä.")
@click.option("--smtp", "smtp", default=None, help="Postipalvelin HOST:PORT (STARTTLS).")
@click.option("--no-starttls", is_flag=True, help="Ilman salausta: vain testipalvelimelle omalla koneella.")
@click.option("--login", is_flag=True, help="Kysy käyttäjätunnus ja salasana (ellei ympäristössä).")
@click.option("--from", "sender", default=None, help="Lähettäjän osoite (oletus ELINVOIMA_SMTP_FROM).")
@click.option("--deadline", default="", help="Palautuspäivä viestiin ja ohjeeseen, esim. 15.8.2023.")
@click.option("--password-file", "password_file", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Salaa liitteet; kunkin palvelualueen salasana tähän tiedostoon (ei viestiin).")
@click.option("--dry-run", is_flag=True, help="Näytä mitä lähetettäisiin; mitään ei lähetetä eikä kirjoiteta.")
def send(path: Path, recipients: Path | None, template: Path | None, drafts: Path | None, smtp: str | None,
         no_starttls: bool, login: bool, sender: str | None, deadline: str, password_file: Path | None,
         dry_run: bool) -> None:
    """Send each service-area head their own workbook by email (or write drafts); a journal beside PATH."""
    from .sending import send_from_cli

    report = send_from_cli(path, recipients, template, drafts, smtp, no_starttls, login, sender, deadline,
                           password_file, dry_run, on_progress=lambda text: click.echo(text, err=True))
    for o in report.outcomes:
        click.echo(f"{o.area}\t{o.email}\t{o.status}\t{o.reply}")
    click.echo(report.summary())
    sys.exit(1 if report.failures else 0)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--into", "into", required=True, type=click.Path(path_type=Path, dir_okay=False),
              help="Tiimin työkirja (.xlsm), johon vastaukset yhdistetään.")
@click.option("--password-file", "password_file", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Salattujen liitteiden salasanat (send --password-file).")
def collect(paths: tuple[Path, ...], into: Path, password_file: Path | None) -> None:
    """Merge the heads' returned workbooks (a folder or files) into the team's workbook; exit 1 on conflicts."""
    from .collect import collect_into_file

    report, backup = collect_into_file(into, list(paths), password_file,
                                       on_progress=lambda text: click.echo(text, err=True))
    for line in report.lines():
        click.echo(line)
    click.echo(report.summary() + (f" Edellinen versio: {backup.name}" if backup else ""))
    sys.exit(1 if report.needs_attention else 0)


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
