"""The ``pamgeo`` command line (the Makefile calls these commands)."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from pamgeo.core.errors import PamgeoError

app = typer.Typer(help="pamgeo: TPS security planning briefings.", no_args_is_help=True,
                  pretty_exceptions_enable=False)
data_app = typer.Typer(help="Build region data from the configured sources.", no_args_is_help=True)
app.add_typer(data_app, name="data")
err = Console(stderr=True)
out = Console()

RegionArg = Annotated[str, typer.Argument(
    help="Region: a name (a .yml in --regions-dir, PAMGEO_REGIONS or the shipped regions) or a .yml path.")]
BuildOpt = Annotated[Path | None, typer.Option("--build-dir", help="Folder for built regions (default: ./build).")]
RegionsOpt = Annotated[Path | None, typer.Option(
    "--regions-dir", help="Folder of your own region files, searched before PAMGEO_REGIONS and the shipped ones.")]


def _fail(exc: Exception, code: int = 2) -> None:
    err.print("[bold red]error:[/]", highlight=False, end=" ")
    err.print(str(exc), markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(code)


@data_app.command("build")
def data_build(
    region: RegionArg,
    build_dir: BuildOpt = None,
    regions_dir: RegionsOpt = None,
    on_invalid: Annotated[str | None, typer.Option(
        "--on-invalid", help="stop | drop: TPS rows with errors stop the build, or are left out "
                             "(the report is written beside the build). Default: region.on_invalid.")] = None,
) -> None:
    """Read, validate and store a region's layers as one GeoPackage."""
    from pamgeo.core.config import load_config
    from pamgeo.ingest.region import build_region, write_region

    if on_invalid not in (None, "stop", "drop"):
        _fail(ValueError(f"--on-invalid must be stop or drop, not {on_invalid!r}"))
    try:
        cfg = load_config(region, regions_dir=regions_dir)
        data = build_region(cfg, progress=True, on_invalid=on_invalid)
        path = write_region(data, build_dir)
    except PamgeoError as exc:
        _fail(exc)
    out.print(f"{cfg.region.name}: {len(data.kelurahan)} kelurahan, {len(data.kecamatan)} kecamatan, "
              f"{len(data.tps):,} TPS ({data.tps['position_source'].value_counts().to_dict()})")
    if data.validation is not None and data.validation.findings:
        out.print(data.validation.format_text(20), highlight=False, markup=False)
    out.print(f"written: {path}")
    if data.validation is not None and not data.validation.ok:
        out.print(f"{len(data.validation.error_rows())} TPS rows with errors were left out; "
                  f"report: {path.parent / 'tps_validation.csv'}", highlight=False)


@app.command("validate")
def validate(
    file: Annotated[Path, typer.Argument(help="TPS list: CSV, XLSX, JSON, GeoJSON or GeoPackage.")],
    region: Annotated[str, typer.Option("--region", "-r", help="Region name or .yml path.")],
    regions_dir: RegionsOpt = None,
    limit: Annotated[int, typer.Option(help="Print at most this many findings (0: all).")] = 0,
    encoding: Annotated[str | None, typer.Option(
        help="Text encoding of a CSV/JSON (default: detected, UTF-8, cp1252 or Latin-1).")] = None,
    report: Annotated[Path | None, typer.Option(
        "--report", help="Write every finding (row, column, value, severity, message, fix) to this CSV.")] = None,
) -> None:
    """Check a TPS list row by row against a region. Prints the report; writes only --report.

    Exits 1 when the list has errors, 0 otherwise (warnings allowed).
    """
    from pamgeo.core.config import load_config
    from pamgeo.ingest import io as pio
    from pamgeo.ingest.validate import validate_tps

    try:
        cfg = load_config(region, regions_dir=regions_dir)
        kel = pio.read_kelurahan(cfg)
        columns = getattr(cfg.sources.tps, "columns", None) or None
        table = pio.read_tps_table(file, columns=columns, encoding=encoding)
        _, result = validate_tps(table, kel, tolerance_m=cfg.region.tolerance_m,
                                 kelurahan_tolerance_m=cfg.region.kelurahan_tolerance_m)
    except PamgeoError as exc:
        _fail(exc, 1)
    text = result.format_text(limit or None, full_report=str(report) if report else None)
    out.print(text, highlight=False, soft_wrap=True, markup=False)
    if report is not None:
        try:
            report.parent.mkdir(parents=True, exist_ok=True)
            result.to_frame().to_csv(report, index=False)
        except OSError as exc:
            _fail(OSError(f"{report}: cannot write the report ({exc})"), 1)
        out.print(f"full report ({len(result.findings)} findings): {report}", highlight=False,
                  soft_wrap=True, markup=False)
    raise typer.Exit(0 if result.ok else 1)


@app.command("run")
def run(
    region: RegionArg,
    kecamatan: Annotated[list[str] | None, typer.Option("--kecamatan", "-k", help="Kecamatan code (repeatable).")] = None,
    workers: Annotated[int, typer.Option("--workers", "-w", min=1, help="Notebooks in parallel.")] = 1,
    build_dir: BuildOpt = None,
    regions_dir: RegionsOpt = None,
    reports_dir: Annotated[Path | None, typer.Option("--reports-dir", help="Output folder (default: ./reports).")] = None,
    language: Annotated[str | None, typer.Option("--language", help="id or en (default: the region's).")] = None,
    fresh_kernels: Annotated[bool, typer.Option(
        "--fresh-kernels", help="A new kernel for every notebook (default: one per worker, reset between notebooks).",
    )] = False,
    csv_sep: Annotated[str, typer.Option(
        "--csv-sep", help="Field separator of the CSV tables: ',' (default) or ';' for comma-decimal spreadsheets.",
    )] = ",",
) -> None:
    """Render the briefing: one page per kecamatan, index, tables, GeoPackage and manifest."""
    if csv_sep not in (",", ";", "\t"):
        _fail(ValueError(f"--csv-sep must be ',' or ';' (or a tab), not {csv_sep!r}"))
    pools = None
    if workers > 1:
        # first, before the geospatial imports: the kernels boot while this process imports
        from pamgeo.run.jobs import start_workers

        pools = start_workers(workers, reuse_kernels=not fresh_kernels)
    try:
        from pamgeo.run.runner import run_region

        # the modules just imported are there for good: garbage collections during the run
        # need not scan them (as in the kernels, see pamgeo.run.jobs)
        gc.freeze()
        result = run_region(region, kecamatan=kecamatan, workers=workers, build_dir=build_dir,
                            reports_dir=reports_dir, regions_dir=regions_dir, language=language,
                            reuse_kernels=not fresh_kernels, pools=pools, csv_sep=csv_sep)
    except (PamgeoError, ValueError) as exc:
        _fail(exc)
    except KeyboardInterrupt as exc:  # SIGINT, or SIGTERM/SIGHUP (RunInterrupted): all stopped, nothing half-written
        err.print(f"stopped ({exc or 'SIGINT'}): the previous report, if any, is unchanged", highlight=False)
        raise typer.Exit(128 + getattr(exc, "signum", 2)) from None
    finally:
        if pools is not None:  # the run shuts them down; this covers a failure before it started
            pools.shutdown()
    for nb in result.failed:
        err.print(f"[red]FAILED[/] {nb['name']}: cell {nb.get('cell_index')}: {nb.get('error', '')[:400]}",
                  highlight=False)
    n_ok = len(result.notebooks) - len(result.failed)
    out.print(f"{n_ok}/{len(result.notebooks)} briefings written")
    out.print(f"index: {result.index}")
    # nor need the collections of interpreter shutdown scan the run's data: 0.2-0.3 s less to exit
    gc.freeze()
    raise typer.Exit(0 if result.ok else 1)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
