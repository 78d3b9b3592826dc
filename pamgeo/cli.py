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
        "--on-invalid", help="estimate | stop | drop: a TPS without a usable position gets an estimated one "
                             "(rows naming no known TPS are left out), rows with errors stop the build, or are "
                             "left out (the report is written beside the build). Default: region.on_invalid.")] = None,
) -> None:
    """Read, validate and store a region's layers as one GeoPackage."""
    from pamgeo.core.config import load_config
    from pamgeo.ingest.region import build_region, write_region
    from pamgeo.run.cache import prepare_build

    if on_invalid not in (None, "estimate", "stop", "drop"):
        _fail(ValueError(f"--on-invalid must be estimate, stop or drop, not {on_invalid!r}"))
    try:
        cfg = load_config(region, regions_dir=regions_dir)
        data = build_region(cfg, progress=True, on_invalid=on_invalid)
        path = write_region(data, build_dir)
        prepared = prepare_build(cfg, build_dir)  # the region-level analysis, stored with the build
    except PamgeoError as exc:
        _fail(exc)
    out.print(f"{cfg.region.name}: {len(data.kelurahan)} kelurahan, {len(data.kecamatan)} kecamatan, "
              f"{len(data.tps):,} TPS ({data.tps['position_source'].value_counts().to_dict()})")
    if data.validation is not None and data.validation.findings:
        out.print(data.validation.format_text(20), highlight=False, markup=False)
    out.print(f"written: {path}")
    out.print(f"region-level analysis (river corridors, road graph, flooded roads, catchments): {prepared}")
    if data.classifications is not None:  # official classification lists (sources.classifications)
        for rep in data.classifications.reports:
            out.print(rep.format_text(20), highlight=False, markup=False, soft_wrap=True)
    acc = data.account
    if acc is not None:
        out.print(f"{acc.in_source:,} TPS in the {acc.source}: {acc.own:,} at their own position, {acc.repaired:,} "
                  f"repaired, {acc.estimated:,} estimated, {acc.left_out:,} left out"
                  + (f"; report: {path.parent / 'tps_validation.csv'}" if data.validation is not None else ""),
                  highlight=False)


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
    scheduler: Annotated[str | None, typer.Option(
        "--scheduler", help="Group runs: address of a Dask scheduler (tcp://host:8786; default "
                            "DASK_SCHEDULER_ADDRESS, else a local cluster of --workers processes).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Group runs: re-run unchanged members too.")] = False,
) -> None:
    """Render the briefing: one page per kecamatan, index, tables, GeoPackage and manifest.

    A group (a Polda file such as polda_metro_jaya, or indonesia) runs every member on a Dask cluster.
    """
    if csv_sep not in (",", ";", "\t"):
        _fail(ValueError(f"--csv-sep must be ',' or ';' (or a tab), not {csv_sep!r}"))
    pools = None
    if workers > 1:
        # first, before any other import: the kernels boot while this process imports the rest
        from pamgeo.run.jobs import start_workers

        pools = start_workers(workers, reuse_kernels=not fresh_kernels)
    from pamgeo.core.groups import find_group

    if find_group(region, regions_dir) is not None:  # a group: its members run on a Dask cluster
        if pools is not None:
            pools.shutdown()
        _run_group(region, workers=max(workers, 1), scheduler=scheduler, build_dir=build_dir,
                   reports_dir=reports_dir, regions_dir=regions_dir, language=language, members=kecamatan,
                   force=force)
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


@app.command("compare")
def compare(
    old: Annotated[Path, typer.Argument(help="Older classification list (CSV, XLSX, JSON) or run folder (reports/<region>).")],
    new: Annotated[Path, typer.Argument(help="Newer classification list or run folder.")],
    region: Annotated[str | None, typer.Option(
        "--region", "-r", help="Region name or .yml path: resolves kelurahan names/codes in lists and checks TPS ids.")] = None,
    regions_dir: RegionsOpt = None,
    build_dir: BuildOpt = None,
    old_date: Annotated[str | None, typer.Option("--old-date", help="Date of OLD, for rows without one (2024-01-30).")] = None,
    new_date: Annotated[str | None, typer.Option("--new-date", help="Date of NEW, for rows without one (2024-02-13).")] = None,
    authority: Annotated[str | None, typer.Option(
        "--authority", help="Authority of both lists, for rows without one (e.g. 'Polda Metro Jaya').")] = None,
    out_dir: Annotated[Path | None, typer.Option("--out", help="Write changes.csv and changes.html to this folder.")] = None,
    language: Annotated[str | None, typer.Option("--language", help="id or en (default: the region's, else id).")] = None,
) -> None:
    """What changed between two dated TPS classifications: up or down a class, added, removed.

    Prints the changes, the classes before and after and the changes per kecamatan; --out also
    writes changes.csv (one row per TPS) and changes.html. Exits 0, or 1 when an input cannot be used.
    """
    from pamgeo.analysis.changes import changes_csv, changes_points, compare_classes
    from pamgeo.ingest.classifications import read_compare_side
    from pamgeo.render.changes import changes_page, changes_text

    if language not in (None, "id", "en"):
        _fail(ValueError(f"--language must be id or en, not {language!r}"), 1)
    try:
        cfg, kel, tps = _compare_region(region, regions_dir, build_dir)
        ids = set(tps["tps_id"]) if tps is not None else None
        sides = [read_compare_side(path, cfg=cfg, kelurahan=kel, tps_ids=ids, date=date, authority=authority)
                 for path, date in ((old, old_date), (new, new_date))]
    except (PamgeoError, ValueError) as exc:
        _fail(exc, 1)
    lang = language or (cfg.region.language if cfg is not None else "id")
    for side in sides:
        if side.report is not None and side.report.findings:
            out.print(side.report.format_text(20), highlight=False, markup=False, soft_wrap=True)
    changes = compare_classes(sides[0].frame, sides[1].frame, old_label=sides[0].label, new_label=sides[1].label,
                              places=None if tps is None else tps.drop(columns="geometry"))
    out.print(changes_text(changes, lang=lang), highlight=False, markup=False, soft_wrap=True)
    if out_dir is not None:
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
            changes_csv(changes).to_csv(out_dir / "changes.csv", index=False, encoding="utf-8-sig")
            page = changes_page(changes, lang=lang, changes_gdf=changes_points(changes, tps),
                                classification=cfg.region.classification if cfg is not None else None)
            (out_dir / "changes.html").write_text(page, encoding="utf-8")
        except OSError as exc:
            _fail(OSError(f"{out_dir}: cannot write ({exc})"), 1)
        out.print(f"written: {out_dir / 'changes.csv'}, {out_dir / 'changes.html'}", highlight=False, markup=False)
    raise typer.Exit(0)


def _compare_region(region: str | None, regions_dir: Path | None, build_dir: Path | None):
    """``(config, kelurahan, TPS)`` of ``--region`` (TPS from its build, when current), or Nones."""
    if region is None:
        return None, None, None
    from pamgeo.core.config import load_config
    from pamgeo.ingest import io as pio
    from pamgeo.ingest.region import is_current, load_region

    cfg = load_config(region, regions_dir=regions_dir)
    if is_current(cfg, build_dir):
        data = load_region(cfg, build_dir)
        return cfg, data.kelurahan, data.tps
    return cfg, pio.read_kelurahan(cfg), None


def _run_group(name, *, workers, scheduler, build_dir, reports_dir, regions_dir, language, members, force) -> None:
    """`pamgeo run GROUP`: every member on a Dask cluster, the Polda (or national) page, one manifest."""
    from pamgeo.run.distributed import run_group

    try:
        result = run_group(name, workers=workers, scheduler=scheduler, build_dir=build_dir, reports_dir=reports_dir,
                           regions_dir=regions_dir, language=language, only=members or None, force=force)
    except (PamgeoError, ValueError, OSError) as exc:
        _fail(exc)
    for r in result.failed:
        err.print(f"[red]FAILED[/] {r['run_id']}: {str(r.get('error', ''))[:400]}", highlight=False)
    n = len(result.runs)
    if n:
        skipped = sum(bool(r.get("skipped")) for r in result.runs)
        out.print(f"{n - len(result.failed)}/{n} member briefings ok ({skipped} unchanged, skipped)")
    out.print(f"index: {result.index} ({result.timings.get('total')} s)")
    raise typer.Exit(0 if result.ok else 1)


region_app = typer.Typer(help="Region and group files.", no_args_is_help=True)
app.add_typer(region_app, name="region")


@region_app.command("new")
def region_new(
    province: Annotated[str, typer.Option("--province", help="Province code, e.g. 32 (Jawa Barat).")],
    group_id: Annotated[str | None, typer.Option("--id", help="Group id (default polda_<code>).")] = None,
    name: Annotated[str | None, typer.Option("--name", help="Group name (default Polda <province>).")] = None,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the group file.")] = Path("."),
) -> None:
    """Write a group file for a province: a member per kab/kota from the national counts, with kelurahan
    polygons where the bundle has them and kecamatan polygons elsewhere (every page then says so)."""
    import yaml

    from pamgeo.core.codes import normalise_code
    from pamgeo.core.resources import raw_dir
    from pamgeo.ingest.kawalpemilu import read_national
    from pamgeo.ingest.members import kelurahan_files, province_group

    code = normalise_code(province)
    if code is None or len(code) != 2:
        _fail(ValueError(f"--province must be a 2-digit province code like 32, not {province!r}"))
    try:
        counts = read_national(raw_dir() / "kawalpemilu_kp24" / "original" / "tps2.json")
        files = kelurahan_files(raw_dir() / "cahyadsn_wilayah_boundaries")
        gid = group_id or f"polda_{code}"
        data = province_group(counts, code, files, group_id=gid,
                              name=name or f"Polda {counts.name(code).title()}")
    except (PamgeoError, ValueError) as exc:
        _fail(exc)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{gid}.yml"
    n_kel = sum("file" in m["areas"][0] for m in data["members"])
    path.write_text(f"# pamgeo group generated by `pamgeo region new --province {code}`: {len(data['members'])} "
                    f"kab/kota, {n_kel} with kelurahan polygons, the others drawn from kecamatan polygons.\n"
                    + yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    out.print(f"written: {path} ({len(data['members'])} members, {n_kel} with kelurahan polygons); "
              f"run it with `pamgeo run {path}`")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
