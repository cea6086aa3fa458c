"""The command line: every job also runs without Excel (`elinvoima check`, `elinvoima show`, …)."""

from __future__ import annotations

__all__ = ["main"]

import json
import re
import sys
from pathlib import Path

import click

from . import __version__
from .core.calc import Settings
from .core.checks import has_errors, run_checks
from .jobs.registry import sheet_job_ids
from .sources.load import load_review
from .jobs.messages import unexpected_error_message, user_message
from .core.report import findings_to_json, render_findings, render_tables, tables_to_json

_PATH = click.argument("path", required=False, type=click.Path(path_type=Path))


def _settings(abs_pct: bool, forecast: str, expenses_positive: bool | None = None) -> Settings:
    return Settings(pct_absolute=abs_pct, forecast_method=forecast,  # type: ignore[arg-type]
                    expenses_positive=expenses_positive)


# Each option defined once: the commands that take it use the same decorator.
_JSON = click.option("--json", "as_json", is_flag=True, help="Tulosta JSON (rakenne: README).")
_ABS_PCT = click.option("--abs-pct", is_flag=True, help="Toteuma-% aina positiivisena.")
_FORECAST = click.option("--forecast", type=click.Choice(["seasonal", "linear"]), default="seasonal",
                         help="Ennustetapa: seasonal (viime vuoden osuus, oletus) tai linear.")
_EXPENSES = click.option("--expenses-positive/--expenses-negative", "expenses_positive", default=None,
                         help="Kulut painettu positiivisina / negatiivisina (oletus: tunnistetaan luvuista "
                              "tai tietojen asetuksesta).")
_DATA = click.option("--data", "data", type=click.Path(path_type=Path), default=None,
                     help="Tiedot: katsauksen teksti, .csv tai .xlsx (oletus: mukana tuleva 1–6/2023).")
_OPTIONS = [_JSON, _ABS_PCT, _FORECAST, _EXPENSES]       # the options of the commands that read and report


def _with_options(f):  # type: ignore[no-untyped-def]
    for option in reversed(_OPTIONS):
        f = option(f)
    return f


def _echo_json(data: object) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


def _finnish_extras(text: str) -> str:
    """Click's bracketed notes after an option's help (`show_default=True`, `required=True`) in Finnish."""
    words = {"default: ": "oletus: ", "required": "pakollinen", "env var: ": "ympäristömuuttuja: "}

    def finnish(m: re.Match[str]) -> str:
        return "[" + re.sub("|".join(words), lambda w: words[w.group(0)], m.group(1)) + "]"

    return re.sub(r"\[([^\[\]]*)\]$", finnish, text)


class _FinnishHelp(click.Command):
    """Click's own help words in Finnish, so a help screen is in one language."""

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        kwargs.setdefault("options_metavar", "[VALITSIMET]")
        super().__init__(*args, **kwargs)

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        formatter.write_usage(ctx.command_path, " ".join(self.collect_usage_pieces(ctx)), prefix="Käyttö: ")

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(opts, _finnish_extras(text)) for p in self.get_params(ctx)
                if (r := p.get_help_record(ctx)) is not None for opts, text in [r]]
        if rows:
            with formatter.section("Valitsimet"):
                formatter.write_dl(rows)

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        option = super().get_help_option(ctx)
        if option is not None:
            option.help = "Näytä tämä ohje."
        return option


class _FinnishGroup(_FinnishHelp, click.Group):
    command_class = _FinnishHelp

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        kwargs.setdefault("subcommand_metavar", "KOMENTO [ARGUMENTIT]...")
        super().__init__(*args, **kwargs)

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        super().format_options(ctx, formatter)
        rows = [(name, cmd.get_short_help_str(limit=70)) for name in self.list_commands(ctx)
                if (cmd := self.get_command(ctx, name)) is not None and not cmd.hidden]
        if rows:
            with formatter.section("Komennot"):
                formatter.write_dl(rows)


@click.group(cls=_FinnishGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="elinvoima",
                      message=f"%(prog)s %(version)s (Python {sys.version.split()[0]}: "
                              f"{sys.executable.replace('%', '%%')})",
                      help="Näytä versio ja Python, jossa elinvoima toimii.")
def main() -> None:
    """Elinvoima: talouden seuranta ja osavuosikatsaus, Excelissä ja komentoriviltä.

    Käyttöopas: docs/kayttoopas.md. Komennon ohje: elinvoima KOMENTO --help.
    """


@main.command()
@_PATH
@_with_options
@click.option("--all", "show_all", is_flag=True, help="Näytä myös jokainen pyöristysero.")
def check(path: Path | None, as_json: bool, abs_pct: bool, forecast: str, expenses_positive: bool | None,
          show_all: bool) -> None:
    """Tarkista jokainen summa, painettu luku ja rivin nimi.

    Paluukoodi 1, kun virheitä löytyy, 0 kun ei, 2 kun syötettä ei voi lukea.

    PATH: julkaistu katsaus tekstinä (.txt), tietotiedosto (.csv) tai Excel-tiedosto, jonka
    välilehti Tiedot luetaan (.xlsx, .xlsm); ilman PATHia mukana tuleva katsaus 1–6/2023.
    """
    from .core.calc import convention_for, describe_convention

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
    """Tulosta taulukot: Jäljellä, toteuma-% ja ennuste laskettuina.

    PATH: julkaistu katsaus tekstinä (.txt), tietotiedosto (.csv) tai Excel-tiedosto, jonka
    välilehti Tiedot luetaan (.xlsx, .xlsm); ilman PATHia mukana tuleva katsaus 1–6/2023.
    """
    review = load_review(path)
    settings = _settings(abs_pct, forecast, expenses_positive)
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
    """Kirjoita PATHin luvut tietotiedostoksi (.csv, .xlsx) tai hallituksen katsaukseksi (.pdf, .xlsx --board).

    PATH: julkaistu katsaus tekstinä (.txt), tietotiedosto (.csv) tai Excel-tiedosto, jonka
    välilehti Tiedot luetaan (.xlsx, .xlsm); ilman PATHia mukana tuleva katsaus 1–6/2023.
    """
    from .ooxml.fileio import write_atomic
    from .sources.datafile import write_data_csv, write_data_xlsx

    suffix = output.suffix.lower()
    if board or suffix == ".pdf":
        from .jobs.board import board_from_path

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
@_DATA
@click.option("-o", "--output", type=click.Path(path_type=Path), default=None,
              help="Kohde (oletus Elinvoima.xlsm tässä kansiossa).")
@_ABS_PCT
@_FORECAST
def build(data: Path | None, output: Path | None, abs_pct: bool, forecast: str) -> None:
    """Luo tiimin makrotyökirja (.xlsm) tiedoista.

    Välilehdet, kaavat, tarkistukset, makrot ja nauhan välilehti Elinvoima.
    """
    from .jobs.team_workbook import DEFAULT_WORKBOOK, build_workbook, save_workbook

    target = output or DEFAULT_WORKBOOK
    if target.suffix.lower() != ".xlsm":
        raise click.BadParameter("tiimin työkirja on makrotyökirja: anna .xlsm-tiedosto.", param_hint="--output")
    from .ooxml.locking import workbook_lock

    review = load_review(data)
    with workbook_lock(target):
        backup = save_workbook(target, build_workbook(review, _settings(abs_pct, forecast)))
    click.echo(f"Kirjoitettu {target}" + (f" (edellinen: {backup.name})" if backup else ""))


@main.command()
@click.argument("folder", required=False, type=click.Path(path_type=Path), default=Path("."))
@_DATA
def init(folder: Path, data: Path | None) -> None:
    """Aloita työkansio: työkirja, xlwings.conf ja ohje.

    Tiimin työkirja Elinvoima.xlsm, xlwings.conf tälle Pythonille ja ohje LUE_MINUT.txt.

    FOLDER: kansio (oletus tämä kansio; luodaan tarvittaessa). Olemassa olevia tiedostoja ei korvata.
    """
    from .jobs.init_folder import init_folder

    report = init_folder(folder, load_review(data), version=__version__)
    click.echo(report.summary())


@main.command()
@_PATH
@_ABS_PCT
@_FORECAST
def rebuild(path: Path | None, abs_pct: bool, forecast: str) -> None:
    """Päivitä työkirjan välilehdet sen Tiedot-välilehdestä.

    Palvelualueiden välilehdet, Yhteenveto ja Tarkistukset luodaan uudelleen.

    PATH: tiimin työkirja (.xlsm), oletus Elinvoima.xlsm tässä kansiossa. Muut välilehdet,
    makrot ja nauha säilyvät; edellinen versio jää nimellä *.edellinen.xlsm.
    """
    from .jobs.team_workbook import DEFAULT_WORKBOOK, rebuild_workbook

    target = path or DEFAULT_WORKBOOK
    report, backup = rebuild_workbook(target, _settings(abs_pct, forecast))
    click.echo(f"Päivitetty {target}: {len(report.replaced)} välilehteä luotu uudelleen, "
               f"{len(report.kept)} säilytetty ({', '.join(report.kept)}); "
               f"havaintoja {report.findings}, virheitä {report.errors}."
               + (f" Edellinen versio: {backup.name}" if backup else ""))


@main.command()
@click.argument("name", type=click.Choice(sheet_job_ids()))
@_PATH
def job(name: str, path: Path | None) -> None:
    """Aja yksi nauhan työ tiimin työkirjalle.

    Sama koodi kuin Excelin painikkeessa.

    PATH: tiimin työkirja (.xlsm), oletus Elinvoima.xlsm tässä kansiossa.
    """
    from .jobs.team_workbook import DEFAULT_WORKBOOK, run_job_on_file

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
@click.option("--kohdistamattomat", "keep_unallocated", is_flag=True,
              help="Kohdistamattomat rivit riville/alueelle Kohdistamattomat (muuten tuonti pysähtyy).")
@click.option("--period", "period", default=None,
              help="Katsauskausi, esim. 1-9/2023 (oletus: tietojen TOT-sarake).")
@click.option("--sign", "sign", type=click.Choice(["income", "debit"]), default=None,
              help="Etumerkki: income (tuotot +, kulut −) tai debit (kirjanpidon debet +); oletus: päätellään.")
@click.option("--profile", "profile", type=click.Path(path_type=Path), default=None,
              help="Sarakeprofiili: rooli;otsikko-rivit (oletus: työkirjan Tuontiprofiili-välilehti).")
def import_(ledger: Path, into: Path, budget: Path | None, mapping: Path | None, keep_unallocated: bool,
            period: str | None, sign: str | None, profile: Path | None) -> None:
    """Tuo kirjanpidon raportti tietotiedostoon tai tiimin työkirjaan.

    LEDGER: kirjanpidon raportti (.csv tai .xlsx).
    """
    from .jobs.importer import import_ledger
    from .ooxml.locking import workbook_lock

    with workbook_lock(into):     # one writer at a time (the workbook or data file, and its import log)
        report = import_ledger(ledger, into, budget, mapping, keep_unallocated, period, sign, profile)
    click.echo(report.summary() + (f" Edellinen versio: {report.backup.name}" if report.backup else ""))


@main.command(name="generate-ledger")
@click.option("--data", "data", type=click.Path(path_type=Path), default=None,
              help="Tiedot, joiden summiin kirjaukset osuvat (oletus: mukana tuleva 1–6/2023).")
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path), help="Kirjanpidon CSV.")
@click.option("--budget-output", type=click.Path(path_type=Path), default=None, help="Talousarvion CSV.")
@click.option("--seed", type=int, default=2023, help="Satunnaisluvun siemen (oletus 2023): sama siemen, sama tiedosto.")
def generate_ledger(data: Path | None, output: Path, budget_output: Path | None, seed: int) -> None:
    """Kirjoita esimerkkikirjanpito, jonka summat ovat DATAn luvut.

    Kirjanpito (ja talousarvio) osuu täsmälleen DATAn lukuihin: kokeiluun ja testeihin.
    """
    from .ooxml.fileio import write_atomic
    from .sources.load import bundled_path
    from .sources.ledger import DEFAULT_MAPPING, read_mapping
    from .sources.ledger_generator import ledger_for_review

    review = load_review(data if data is not None else bundled_path("heinola_elinvoima_1-6_2023.csv"))
    mapping = read_mapping(bundled_path(DEFAULT_MAPPING).read_bytes(), DEFAULT_MAPPING)
    ledger, budget = ledger_for_review(review, mapping, seed)
    write_atomic(output, ledger)
    if budget_output is not None:
        write_atomic(budget_output, budget)
    click.echo(f"Kirjoitettu {output}" + (f" ja {budget_output}" if budget_output else ""))


def _usage_message(exc: click.UsageError) -> str:
    """Click's complaint about the command line, in Finnish and on one line, with where to find help."""
    command = exc.ctx.command_path if exc.ctx else "elinvoima"
    param = getattr(exc, "param", None)
    name = (param.opts[0] if isinstance(param, click.Option) else param.human_readable_name) if param else None
    name = name or getattr(exc, "param_hint", None)
    if isinstance(exc, click.NoSuchOption):
        what = f"tuntematon valitsin {exc.option_name}"
        if exc.possibilities:
            what += f" (tarkoititko {' tai '.join(sorted(exc.possibilities))}?)"
    elif isinstance(exc, click.exceptions.NoSuchCommand):
        what = f"tuntematon komento '{exc.command_name}'"
        if exc.possibilities:
            what += f" (tarkoititko {' tai '.join(sorted(exc.possibilities))}?)"
    elif isinstance(exc, click.MissingParameter):
        what = f"{'valitsin' if isinstance(param, click.Option) else 'argumentti'} {name} puuttuu"
    elif isinstance(exc, click.BadParameter):
        kind = param.type if param else None
        if isinstance(kind, click.Choice):
            what = f"{name}: arvo ei kelpaa; sallitut arvot: {', '.join(map(str, kind.choices))}"
        elif kind is click.INT:
            what = f"{name}: anna kokonaisluku"
        else:
            what = f"{name}: {exc.message}" if name else exc.message   # our own messages are Finnish
    elif isinstance(exc, click.BadOptionUsage):
        what = f"valitsin {exc.option_name} tarvitsee arvon"
    elif isinstance(exc, click.BadArgumentUsage) or "extra argument" in exc.message:
        what = "liikaa tai vääriä argumentteja"
    else:
        what = "komento on virheellinen"
    return f"{what.rstrip('.')}. Ohje: {command} --help"


@main.command()
@_PATH
@click.option("-o", "--output", "out_dir", required=True, type=click.Path(path_type=Path, file_okay=False),
              help="Kansio, johon palvelualueiden työkirjat kirjoitetaan.")
@click.option("--recipients", "recipients", type=click.Path(path_type=Path), default=None,
              help="Vastaanottajat (CSV alue;nimi;sähköposti;kopio;vastuu): vastuu kertoo tavoitteet.")
@click.option("--deadline", default="", help="Palautuspäivä ohjeeseen, esim. 15.8.2023.")
def split(path: Path | None, out_dir: Path, recipients: Path | None, deadline: str) -> None:
    """Kirjoita jokaiselle palvelualueelle oma .xlsx-työkirja vain sen omista tiedoista.

    PATH: katsaus (.txt), tietotiedosto (.csv, .xlsx) tai tiimin työkirja (.xlsm); oletus mukana tuleva.
    """
    from .ooxml.fileio import write_atomic
    from .jobs.sending import input_from_file, split_review

    inp = input_from_file(path)
    rows: list[tuple[object, ...]] | None = None
    if recipients is not None:
        from .jobs.recipients import csv_rows

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
    """Lähetä jokaiselle palvelualueen johtajalle oma työkirja sähköpostilla (tai luonnoksina).

    PATH: tiimin työkirja (.xlsm), katsaus (.txt) tai tietotiedosto (.csv, .xlsx). Lähetysloki kirjoitetaan
    PATHin viereen; uusi ajo lähettää vain sen, mitä palvelin ei vielä ole ottanut vastaan.
    """
    from .jobs.sending import send_from_cli

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
    """Yhdistä palvelualueiden palauttamat työkirjat (kansio tai tiedostot) tiimin työkirjaan.

    Talouden lukuja ei koskaan korvata; poikkeamat ja versioristiriidat raportoidaan (poistumiskoodi 1).
    """
    from .jobs.collect import collect_into_file

    report, backup = collect_into_file(into, list(paths), password_file,
                                       on_progress=lambda text: click.echo(text, err=True))
    for line in report.lines():
        click.echo(line)
    click.echo(report.summary() + (f" Edellinen versio: {backup.name}" if backup else ""))
    sys.exit(1 if report.needs_attention else 0)


_CONTROL = {c: repr(chr(c))[1:-1] for c in (*range(32), 127)}


def _one_line(text: str) -> str:
    """A message on one line: a newline or other control character quoted from the user's file is shown escaped."""
    return text.translate(_CONTROL)


def run() -> None:
    """Console entry point: a user's mistake ends as one Finnish line on stderr and exit 2, never a traceback."""
    try:
        main(standalone_mode=False, prog_name="elinvoima")
    except click.exceptions.Abort:
        click.echo("Keskeytetty.", err=True)
        sys.exit(130)
    except click.exceptions.NoArgsIsHelpError as exc:
        click.echo(exc.ctx.get_help() if exc.ctx else "", err=True)
        sys.exit(2)
    except click.UsageError as exc:
        click.echo(_usage_message(exc), err=True)
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        click.echo(exc.format_message(), err=True)
        sys.exit(exc.exit_code)
    except Exception as exc:
        message = user_message(exc)   # the same words as Excel's message box (ribbon.py)
        if message is None:
            click.echo(unexpected_error_message(), err=True)
            raise                     # a bug: the traceback is for whoever fixes it
        click.echo(_one_line(message), err=True)
        sys.exit(2)


if __name__ == "__main__":
    run()
