"""The `plait` command: one small function per command, parsing options and calling the library."""

# Start-up: only typer and rich's console are imported here; polars, the settings (pydantic),
# rich's tables and progress bars and everything a command calls are imported inside the
# command that uses them, so `plait --help` and `plait detect` do not pay for the others
# (benchmarks/startup).
from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer
from rich.console import Console
from rich.markup import escape

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

    import polars as pl
    from rich.table import Table

    from etl.settings import Settings


def get_settings() -> Settings:
    """`etl.settings.get_settings`, imported when a command needs it (pydantic is slow)."""
    from etl.settings import get_settings as settings

    return settings()


app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)
console = Console()
if not console.is_terminal:
    console = Console(width=150)
err = Console(stderr=True, soft_wrap=True)

DbOption = Annotated[
    str | None,
    typer.Option("--db", help="Warehouse URL; default $PLAIT_DB_URL, else sqlite:///data/plait.db"),
]
IncidentsOption = Annotated[
    Path,
    typer.Option("--incidents", help="Canonical incidents (docs/contracts.md): CSV or Parquet"),
]


@app.command()
def synth(
    out: Annotated[Path, typer.Option("--out", help="Folder for the extracts and truth/")],
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same bytes")] = 7,
    start: Annotated[str, typer.Option(help="First month, YYYY-MM")] = "2016-01",
    end: Annotated[str, typer.Option(help="Last month, YYYY-MM")] = "2026-09",
    scale: Annotated[float, typer.Option(help="Volume multiplier (benchmarks)")] = 1.0,
    style: Annotated[Literal["a", "b"], typer.Option(
        help="a (default) or b (planted by other rules, to evaluate across styles)")] = "a",
) -> None:
    """Write synthetic extracts for every force, in its own layout, plus DIR/truth/."""
    from rich.table import Table

    from etl.synth import generate

    summary = generate(out, seed=seed, start=start, end=end, scale=scale, style=style)
    table = Table(title=f"Synthetic extracts in {summary.out} ({start}..{end}, seed {seed})")
    table.add_column("what")
    table.add_column("count", justify="right")
    for label, value in (
        ("force extracts", len(summary.files)),
        ("rows written", summary.rows_total),
        ("crimes", summary.crimes),
        ("dirty rows planted", summary.dirty),
        ("transferred crimes", summary.transfers),
        ("offender series", summary.series),
        ("shared-template campaigns", summary.campaigns),
        ("exceedance episodes", summary.exceedances),
    ):
        table.add_row(label, f"{value:,}")
    console.print(table)
    console.print(f"ground truth: {summary.out / 'truth'}")


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders to load")],
    db: DbOption = None,
    report: Annotated[
        Path | None, typer.Option("--report", help="Also write the reconciliation as JSON")
    ] = None,
) -> None:
    """Load force extracts and data.police.uk street files; print the reconciliation."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    from etl.ingest import discover, ingest_paths
    from etl.key_rotation import WrongKeyError
    from etl.warehouse import make_engine, migrate

    settings = get_settings()
    files = discover(paths)
    if settings.uses_development_key:
        _refuse_unmarked(files)
    engine = make_engine(db or settings.db_url)

    def waiting(message: str) -> None:
        err.print(f"[yellow]{escape(message)}[/yellow]")

    migrate(engine, waiting)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=len(files) < 2,
    ) as progress:
        task = progress.add_task("ingest", total=len(files))
        try:
            reports = ingest_paths(
                files,
                engine,
                settings.pseudonym_key.get_secret_value().encode(),
                on_file=lambda r: progress.update(task, advance=1,
                                                  description=Path(r.file).name),
                on_wait=waiting,
            )
        except WrongKeyError as exc:
            err.print(f"[red]refused:[/red] {exc}. Nothing was loaded.")
            raise typer.Exit(code=2) from exc
    console.print(_reconciliation_table(reports))
    _print_overdue_returns(engine)
    if report:
        report.parent.mkdir(parents=True, exist_ok=True)
        report.write_text(json.dumps([r.as_dict() for r in reports], indent=2) + "\n")
    failed = [r for r in reports if r.status == "failed"]
    for r in failed:
        err.print(f"[red]failed:[/red] {r.file}: {r.error}")
    if failed:
        raise typer.Exit(code=1)


@app.command()
def rekey(
    new_key_env: Annotated[str, typer.Option(
        "--new-key-env", help="Name of the environment variable holding the new key")],
    old_key_env: Annotated[str | None, typer.Option(
        "--old-key-env", help="Name of the environment variable holding the warehouse's "
        "current key; default: the development key")] = None,
    db: DbOption = None,
) -> None:
    """Re-key every keyed hash in the warehouse from the old key to the new, in one
    transaction; links between incidents are kept. Keys are read from the environment,
    never from the command line (which other users and shell histories can see)."""
    import os

    from etl.key_rotation import WrongKeyError
    from etl.key_rotation import rekey as rekey_warehouse
    from etl.settings import DEVELOPMENT_KEY
    from etl.warehouse import make_engine, migrate

    keys: list[bytes] = []
    for name, default in ((old_key_env, DEVELOPMENT_KEY), (new_key_env, None)):
        value = os.environ.get(name, "") if name else default
        if not value:
            err.print(f"[red]refused:[/red] the environment variable {name} is not set")
            raise typer.Exit(code=2)
        keys.append(value.encode())
    engine = make_engine(db or get_settings().db_url)
    migrate(engine)
    try:
        result = rekey_warehouse(engine, keys[0], keys[1])
    except (WrongKeyError, ValueError) as exc:
        err.print(f"[red]refused:[/red] {exc}. Nothing was changed.")
        raise typer.Exit(code=2) from exc
    for column, count in result.changed.items():
        console.print(f"{column}: {count:,} values re-keyed")
    console.print(f"Done, in one transaction. Set PLAIT_PSEUDONYM_KEY to the value of "
                  f"{new_key_env} from now on (the warehouse refuses the old key).")


def _refuse_unmarked(files: list[Path]) -> None:
    """Without a key of its own, ingest takes only what `plait synth` wrote (exit 2)."""
    from etl.synth_mark import KEY_HELP, unmarked

    refused = unmarked(files)
    if refused:
        shown = "".join(f"\n  {p}" for p in refused[:10])
        more = f"\n  and {len(refused) - 10} more" if len(refused) > 10 else ""
        err.print(
            "[red]PLAIT_PSEUDONYM_KEY is not set[/red], so only files written by `plait synth` "
            "(listed with their SHA-256 in its truth/manifest.json) and data.police.uk street "
            f"files can be loaded, and these are neither:{shown}{more}\nTo load them, {KEY_HELP}."
            " Nothing was loaded."
        )
        raise typer.Exit(code=2)
    err.print("[yellow]PLAIT_PSEUDONYM_KEY is not set: using the development key, "
              "for synthetic data only.[/yellow]")


@app.command()
def detect(
    counts: Annotated[
        Path, typer.Option("--counts", help="CSV: series_id,period,count[,population]")
    ],
    out: Annotated[Path, typer.Option("--out", help="Output CSV")],
    method: Annotated[
        str, typer.Option(help="farrington, ears-c1, ears-c2 or ears-c3")
    ] = "farrington",
    freq: Annotated[
        int | None, typer.Option(help="12 monthly, 52 weekly; default from periods")
    ] = None,
    evaluate: Annotated[int, typer.Option(help="Evaluate the last N periods of each series")] = 12,
) -> None:
    """Exceedance detection on a plain counts file (improved Farrington by default)."""
    import polars as pl

    from analytics.exceedance import METHODS, CountsError
    from analytics.exceedance import detect as run_detect

    if method not in METHODS:
        err.print(f"[red]--method {method!r} is not one of {', '.join(METHODS)}[/red]")
        raise typer.Exit(code=2)
    try:
        frame = pl.read_csv(counts, infer_schema=False)
        result = run_detect(frame, method=method, evaluate=evaluate, freq=freq)  # type: ignore[arg-type]
    except (CountsError, pl.exceptions.PolarsError, OSError) as exc:
        err.print(f"[red]{counts}:[/red] {exc}")
        raise typer.Exit(code=1) from exc
    for message in result.messages:
        err.print(f"[yellow]{message}[/yellow]")
    out.parent.mkdir(parents=True, exist_ok=True)
    result.results.with_columns(pl.col("alarm").cast(pl.String).str.to_lowercase()).write_csv(out)
    alarms = int(result.results["alarm"].sum())
    console.print(
        f"{result.results.height:,} periods evaluated in "
        f"{result.results['series_id'].n_unique():,} series: {alarms:,} alarms → {out}"
    )


@app.command()
def analyse(
    db: DbOption = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="YYYY-MM; default the last month with data")
    ] = None,
    relink: Annotated[
        bool,
        typer.Option(
            "--relink",
            help="Rebuild every cross-border series; by default new incidents attach to the "
            "series of the latest run and stored series are kept",
        ),
    ] = False,
) -> None:
    """Run every model on every series and store the results in the warehouse."""
    import datetime as dt

    from rich.table import Table

    from analytics.analyse import (
        as_stored,
        compute,
        knowledge_point,
        read_inputs,
        read_link_inputs,
        read_release_inputs,
        read_stored_series,
        store,
    )
    from analytics.overview import latest_alarms, of_note
    from etl.warehouse import make_engine, migrate

    engine = make_engine(db or get_settings().db_url)
    migrate(engine)
    month = None
    if as_of:
        try:
            month = dt.date.fromisoformat(f"{as_of}-01")
        except ValueError as exc:
            err.print(f"[red]--as-of {as_of!r} is not a month (YYYY-MM)[/red]")
            raise typer.Exit(code=2) from exc
    known = knowledge_point(engine)
    incidents, forces = read_inputs(engine, known)
    try:
        analysis = compute(incidents, forces, as_of=month,
                           link_incidents=read_link_inputs(engine, known),
                           stored_series=None if relink else read_stored_series(engine),
                           release_incidents=read_release_inputs(engine, known))
    except ValueError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(code=1) from exc
    for message in analysis.messages:
        err.print(f"[yellow]{message}[/yellow]")
    run_id = store(engine, analysis, incident_count=incidents.height, known_through=known)
    stored = {name: as_stored(name, frame) for name, frame in analysis.tables.items()}
    notes = of_note(stored, analysis.as_of, str(analysis.parameters.get("linkage_mode", "")))
    table = Table(title=f"Analysis run {run_id}, as of {analysis.as_of:%Y-%m}")
    table.add_column("result")
    table.add_column("rows", justify="right")
    table.add_column("of note", justify="right")
    for name, frame in analysis.tables.items():
        table.add_row(name, f"{frame.height:,}", notes.get(name, ""))
    console.print(table)
    latest = latest_alarms(stored["exceedance"], analysis.as_of)
    if latest.height:
        alarms = Table(title=f"Exceedances in {analysis.as_of:%B %Y} (monthly)")
        for name in ("series", "observed", "expected", "upper bound", "method"):
            alarms.add_column(name, justify="left" if name in ("series", "method") else "right")
        for row in latest.head(15).iter_rows(named=True):
            alarms.add_row(
                row["series_id"],
                f"{row['observed_count']}",
                f"{row['expected_count']:.1f}",
                f"{row['upperbound_count']:.0f}",
                row["method"],
            )
        if latest.height > 15:
            alarms.add_row(f"… and {latest.height - 15} more in the warehouse", "", "", "", "")
        console.print(alarms)


@app.command()
def report(
    quarter: Annotated[str, typer.Option("--quarter", help="YYYYQn, for example 2026Q3")],
    out: Annotated[Path, typer.Option("--out", help="A file, or a folder with --all")],
    force: Annotated[
        str | None, typer.Option("--force", help="One force's report (its force_id)")
    ] = None,
    all_: Annotated[
        bool, typer.Option("--all", help="The national report and one per force, into --out")
    ] = False,
    db: DbOption = None,
    fmt: Annotated[str, typer.Option("--format", help="pdf or json (the release as data)")] = "pdf",
    run: Annotated[
        int | None, typer.Option("--run", help="A stored run id; default the latest for the "
                                 "quarter")
    ] = None,
) -> None:
    """The quarterly report: national, one force's, or all of them (disclosure-controlled)."""
    from analytics.release import NATIONAL, ReleaseError, build_releases, load_run
    from etl.periods import parse_quarter
    from etl.warehouse import make_engine, migrate

    if fmt not in ("json", "pdf"):
        err.print(f"[red]--format {fmt!r}: expected json or pdf[/red]")
        raise typer.Exit(code=2)
    if force and all_:
        err.print("[red]--force and --all: give one or the other[/red]")
        raise typer.Exit(code=2)
    try:
        start = parse_quarter(quarter)
    except ValueError as exc:
        err.print(f"[red]--quarter: {exc}[/red]")
        raise typer.Exit(code=2) from exc
    engine = make_engine(db or get_settings().db_url)
    migrate(engine)
    # the PDF workers start and import the renderer while this process builds the releases
    pool = _pdf_pool() if all_ and fmt == "pdf" else None
    try:
        stored = load_run(engine, start, run)
        forces = stored.forces["force_id"].sort().to_list()
        audiences = ([NATIONAL, *(f"force:{f}" for f in forces)] if all_
                     else [f"force:{force}" if force else NATIONAL])
        releases = build_releases(stored, audiences)
    except ReleaseError as exc:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(code=1) from exc
    if all_:
        out.mkdir(parents=True, exist_ok=True)
        jobs = {audience: out / f"{'national' if audience == NATIONAL else audience[6:]}.{fmt}"
                for audience in releases}
        if fmt == "json":
            for audience, path in jobs.items():
                path.write_text(releases[audience].to_json(), encoding="utf-8")
            failed: dict[str, str] = {}
        else:
            assert pool is not None
            failed = _write_pdfs({a: (releases[a].as_dict(), p) for a, p in jobs.items()},
                                 pool)
        for audience, error in failed.items():
            err.print(f"[red]failed: {audience}: {error}[/red]")
        console.print(f"{len(jobs) - len(failed)} of {len(jobs)} reports for {quarter} "
                      f"(run {stored.run_id}) → {out}")
        if failed:
            raise typer.Exit(code=1)
        return
    release = releases[audiences[0]]
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "json":
        out.write_text(release.to_json(), encoding="utf-8")
    else:
        from dashboards.report_pdf import write_pdf

        write_pdf(release.as_dict(), out)
    console.print(f"{audiences[0]} report for {quarter} (run {stored.run_id}): "
                  f"{len(release.sections)} sections → {out}")


def _pdf_pool() -> ProcessPoolExecutor:
    """One worker per core, each importing the renderer at once.

    Workers are spawned, not forked: a fork of a process whose threads (polars' pool, the
    chart renderer's runtime) hold locks can leave the child waiting on them forever."""
    import multiprocessing
    import os
    from concurrent.futures import ProcessPoolExecutor

    workers = os.cpu_count() or 1
    pool = ProcessPoolExecutor(max_workers=workers,
                               mp_context=multiprocessing.get_context("spawn"))
    for _ in range(workers):
        pool.submit(_import_renderer)
    return pool


def _import_renderer() -> None:
    """Import WeasyPrint and start the chart renderer's JavaScript runtime (a second or so)."""
    import weasyprint  # noqa: F401

    from dashboards import charts, report_pdf  # noqa: F401

    charts.warm_up()


def _write_pdfs(jobs: dict[str, tuple[dict, Path]],  # type: ignore[type-arg]
                pool: ProcessPoolExecutor) -> dict[str, str]:
    """Render PDFs in the pool with a progress bar; a failure is named, not fatal.

    The longest reports go first, so that no worker is left with a long one at the end."""
    from concurrent.futures import as_completed

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from dashboards.report_pdf import write_pdf

    failed: dict[str, str] = {}
    order = sorted(jobs, key=lambda a: -len(json.dumps(jobs[a][0], default=str)))
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=err, transient=True) as progress, pool:
        task = progress.add_task("reports", total=len(jobs))
        futures = {pool.submit(write_pdf, *jobs[audience]): audience for audience in order}
        for future in as_completed(futures):
            audience = futures[future]
            try:
                future.result()
            except Exception as exc:
                failed[audience] = f"{type(exc).__name__}: {exc}"
            progress.update(task, advance=1, description=audience)
    return failed


def _app_script() -> Path:
    """The Streamlit script, package data like the pages beside it (importlib.resources)."""
    from importlib.resources import files

    return Path(str(files("dashboards") / "app" / "streamlit_app.py"))


APP = _app_script()
SERVER_OPTIONS = {
    "server.address": "127.0.0.1",
    "server.headless": "true",
    "server.maxUploadSize": "50",
    "browser.gatherUsageStats": "false",
    # error details stay in the server's log: a traceback can quote a value from the data
    "client.showErrorDetails": "none",
    # no CSV export or clipboard copy of tables: downloads go through the audited pages
    "client.disableDataExport": "true",
    "client.toolbarMode": "minimal",
}


@app.command()
def serve(
    db: DbOption = None,
    port: Annotated[int, typer.Option("--port", help="Port on 127.0.0.1")] = 8501,
) -> None:
    """The dashboard for PLaIT analysts, force leads and NPCC leads, on 127.0.0.1."""
    import os
    import sys

    from etl.warehouse import make_engine, migrate

    settings = get_settings()
    url = db or settings.db_url
    migrate(make_engine(url))
    if not os.environ.get("PLAIT_OIDC") and not settings.users_file.exists():
        err.print(f"[yellow]No users file at {settings.users_file}: add a user with "
                  "`plait users add NAME --role national` before signing in.[/yellow]")
    options = [f"--{key}={value}" for key, value in {**SERVER_OPTIONS,
                                                     "server.port": str(port)}.items()]
    console.print(f"plait dashboard: [bold]http://127.0.0.1:{port}[/bold] (Ctrl+C stops it)")
    environment = {**os.environ, "PLAIT_DB_URL": url,
                   "PLAIT_USERS_FILE": str(settings.users_file.resolve())}
    sys.stdout.flush()
    sys.stderr.flush()
    # this process becomes the server, so that a signal to `plait serve` stops the server too
    os.execve(sys.executable, [sys.executable, "-m", "streamlit", "run", str(APP), *options],
              environment)


users_app = typer.Typer(no_args_is_help=True, help="The dashboard's local users file.")
app.add_typer(users_app, name="users")


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="User name to sign in with")],
    role: Annotated[str, typer.Option("--role", help="national, npcc or force:<force_id>")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input")
    ] = False,
) -> None:
    """Add a user (or set their role and password) in $PLAIT_USERS_FILE (argon2id hashes)."""
    import sys

    from dashboards.access import add_user

    settings = get_settings()
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password (12 characters or more)", hide_input=True,
                                confirmation_prompt=True)
    try:
        add_user(settings.users_file, name, role, password, _known_forces())
    except ValueError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(code=2) from exc
    console.print(f"{name} ({role}) → {settings.users_file}")


@users_app.command("list")
def users_list() -> None:
    """The users and their roles (never their hashes)."""
    from dashboards.access import read_users

    for name, entry in sorted(read_users(get_settings().users_file).items()):
        console.print(f"{name}\t{entry['role']}")


def _known_forces() -> set[str]:
    """Force ids of the reference data (etl/reference_data/police_forces.csv)."""
    from etl.reference import forces

    return set(forces()["force_id"].to_list())


@app.command()
def demo(
    port: Annotated[int, typer.Option("--port", help="Port on 127.0.0.1")] = 8501,
    no_serve: Annotated[bool, typer.Option("--no-serve", help="Build only")] = False,
) -> None:
    """Synthetic sample → ingest → analyse → serve, on the embedded default warehouse.

    Makes three demo users (PLaIT analyst, Kent force lead, NPCC lead) with new random
    passwords when the users file has none, and prints them once."""
    import secrets

    from rich.table import Table

    from dashboards.access import add_user, read_users
    from etl.settings import DEFAULT_DB_URL

    sample = Path("data/sample")
    synth(out=sample, seed=7, start="2016-01", end="2026-09", scale=1.0)
    ingest(paths=[sample], db=DEFAULT_DB_URL, report=sample / "reconciliation.json")
    analyse(db=DEFAULT_DB_URL, as_of=None, relink=False)
    users_file = get_settings().users_file
    if not read_users(users_file):
        table = Table(title=f"Demo users (synthetic data only), saved in {users_file}")
        for column in ("user", "role", "password"):
            table.add_column(column)
        for name, role in (("analyst", "national"), ("kent-lead", "force:kent"),
                           ("npcc-lead", "npcc")):
            password = secrets.token_urlsafe(12)
            add_user(users_file, name, role, password)
            table.add_row(name, role, password)
        console.print(table)
        console.print("[yellow]Write these down: only their hashes are kept. "
                      "`plait users add NAME --role ROLE` sets a new password.[/yellow]")
    if not no_serve:
        serve(db=DEFAULT_DB_URL, port=port)


def _read_incidents(path: Path) -> pl.DataFrame:
    """A plain incidents file (docs/contracts.md): Parquet as is, CSV as text with dates parsed."""
    import polars as pl

    if path.suffix.lower() == ".parquet":
        return pl.read_parquet(path)
    return pl.read_csv(path, infer_schema=False).with_columns(
        pl.col("reported_date").str.to_date()
    )


@app.command()
def link(
    incidents: IncidentsOption,
    out: Annotated[Path, typer.Option("--out", help="Output CSV: incident_id,series_id,score")],
    series: Annotated[
        Path | None,
        typer.Option(
            "--series",
            help="An earlier `plait link` output: its incidents keep their series and only "
            "the incidents not in it are placed (attached or new), without relinking",
        ),
    ] = None,
) -> None:
    """Link incidents into cross-border series (one offender or campaign, many forces)."""
    import polars as pl
    from rich.table import Table

    from analytics.linkage import attach
    from analytics.linkage import link as run_link

    try:
        frame = _read_incidents(incidents)
        if series is None:
            result = run_link(frame)
        else:
            result = attach(frame, pl.read_csv(series, infer_schema=False))
    except (pl.exceptions.PolarsError, OSError, KeyError) as exc:
        err.print(f"[red]{series if series and not series.exists() else incidents}:[/red] {exc}")
        raise typer.Exit(code=1) from exc
    out.parent.mkdir(parents=True, exist_ok=True)
    result.assignments.write_csv(out)
    found = result.series
    console.print(
        f"{result.assignments.height:,} incidents → {found.height:,} series of two or "
        f"more ({int(found['size'].sum()) if found.height else 0:,} incidents) → {out}"
    )
    table = Table(title="Largest series")
    for name in ("series", "incidents", "forces", "why"):
        table.add_column(name)
    for row in found.head(10).iter_rows(named=True):
        table.add_row(row["series_id"], str(row["size"]), str(row["n_forces"]), row["reason"])
    console.print(table)


@app.command()
def similar(
    incidents: IncidentsOption,
    seed: Annotated[
        list[str], typer.Option("--seed", help="An incident_id to start from (repeatable)")
    ],
    top: Annotated[int, typer.Option("--top", min=1, help="How many to list")] = 20,
    out: Annotated[Path | None, typer.Option("--out", help="Also write the list as CSV")] = None,
) -> None:
    """Incidents like these: rank candidates against a few seed incidents, with why."""
    import polars as pl
    from rich.table import Table

    from analytics.linkage import search

    try:
        ranked = search(_read_incidents(incidents), seed, top=top)
    except (pl.exceptions.PolarsError, OSError, KeyError, ValueError) as exc:
        err.print(f"[red]{incidents}:[/red] {exc}")
        raise typer.Exit(code=1) from exc
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        ranked.write_csv(out)
    table = Table(title=f"Incidents like {', '.join(seed)}")
    for name in ("incident", "score", "seeds matched", "why"):
        table.add_column(name)
    for row in ranked.iter_rows(named=True):
        table.add_row(row["incident_id"], f"{row['score']:.2f}", str(row["seeds_matched"]),
                      row["why"])
    console.print(table)


def _print_overdue_returns(engine) -> None:  # type: ignore[no-untyped-def]
    """Which forces' monthly returns for the last complete quarter are late or missing."""
    import datetime as dt

    from rich.table import Table

    from etl.periods import quarter_label
    from etl.returns import DUE_DAY, overdue, quarter_returns

    with engine.connect() as conn:
        quarter, status = quarter_returns(conn, dt.date.today())
    behind = overdue(status)
    title = f"Monthly returns for {quarter_label(quarter)} (due by day {DUE_DAY} of the next month)"
    if behind.height == 0:
        console.print(f"{title}: every force's received.")
        return
    table = Table(title=title)
    for name in ("force", "late", "missing"):
        table.add_column(name)
    for row in behind.iter_rows(named=True):
        table.add_row(row["force_id"], row["late"] or "", row["missing"] or "")
    console.print(table)


COUNTS = ("read", "loaded", "updated", "duplicate", "rejected")


def _reconciliation_table(reports: list) -> Table:  # type: ignore[type-arg]
    from rich.table import Table

    table = Table(title="Reconciliation: read = loaded + updated + duplicate + rejected")
    for name in ("file", "kind", "force", "status", *COUNTS):
        table.add_column(name, justify="right" if name in COUNTS else "left")
    totals = [0] * len(COUNTS)
    for r in reports:
        counts = [getattr(r, name) for name in COUNTS]
        totals = [a + b for a, b in zip(totals, counts, strict=True)]
        table.add_row(
            Path(r.file).name,
            r.kind or "-",
            r.force_id or "-",
            r.status,
            *(f"{c:,}" for c in counts),
        )
    table.add_section()
    table.add_row(f"{len(reports)} files", "", "", "", *(f"{c:,}" for c in totals))
    return table


if __name__ == "__main__":
    app()
