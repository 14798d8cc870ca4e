"""The command line: parse flags, run the pipeline, then write, diff or check.

Exit codes: 0 done or nothing to do; 1 ``--check`` found something to change; 2 usage or
configuration error; 123 some files could not be processed (the others were); 130 (143)
interrupted by SIGINT (SIGTERM). The diff goes to stdout, everything else to stderr, so
``async-migrate --diff app/ > change.patch`` works.
"""

from __future__ import annotations

import contextlib
import enum
import os
import signal
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated

import pathspec
import typer

try:  # recent typer releases vendor click; older ones use the click package
    from typer._click import exceptions as click_exceptions
except ImportError:  # pragma: no cover
    from click import exceptions as click_exceptions

from . import __version__
from .config import ConfigError, find_config, load_settings, with_overrides
from .diff import colourize, unified_diff
from .discovery import UsageError
from .report import github_report, json_report, rdjson_report, sarif_report, summary, text_report
from .result import RunResult
from .rules import Rule
from .runner import migrate
from .source import SourceError, report_problem, write_atomically, write_report
from .swaps.registry import SETTINGS

EXIT_OK, EXIT_CHANGES, EXIT_USAGE, EXIT_FAILED, EXIT_INTERRUPTED = 0, 1, 2, 123, 130


_SWAP_SETTINGS = {setting.key: setting for setting in SETTINGS}
_HTTP_CLIENT = _SWAP_SETTINGS["http-client"]
HttpClient = enum.Enum("HttpClient", {name: name for name in _HTTP_CLIENT.choices}, type=str)
_DB_SESSION = _SWAP_SETTINGS["db-session"]
DbSession = enum.Enum("DbSession", {name: name for name in _DB_SESSION.choices}, type=str)


class OutputFormat(str, enum.Enum):
    text = "text"
    json = "json"
    github = "github"
    sarif = "sarif"
    rdjson = "rdjson"


app = typer.Typer(add_completion=False, pretty_exceptions_enable=False, rich_markup_mode=None)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"async-migrate {__version__}")
        raise typer.Exit()


def _explain(code: str | None) -> None:
    if code is None:
        return
    rules = [rule for rule in Rule if code.upper() in {rule.code, "ALL"}]
    if not rules:
        raise typer.BadParameter(f"unknown rule {code!r}; try --explain all")
    for rule in rules:
        typer.echo(f"{rule.code} {rule.title}: {rule.explanation}")  # type: ignore[attr-defined]
    raise typer.Exit()


@app.command()
def run(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Files or folders to migrate [default: .]")
    ] = None,
    diff: Annotated[bool, typer.Option("--diff", help="Print a unified diff; write nothing.")] = False,
    check: Annotated[
        bool, typer.Option("--check", help="Write nothing; exit 1 when something would change.")
    ] = False,
    output_format: Annotated[
        OutputFormat,
        typer.Option("--output-format", help="Report of decisions: text on stderr, the others on stdout."),
    ] = OutputFormat.text,
    output_file: Annotated[
        Path | None, typer.Option("--output-file", "-o", help="Write the report to this file instead.")
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Explain every conversion too.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only errors on stderr.")] = False,
    jobs: Annotated[
        int,
        typer.Option(
            "--jobs",
            "-j",
            min=1,
            show_default=False,
            help="Worker processes for the rewrites [default: all cores]",
        ),
    ] = os.cpu_count() or 1,
    config: Annotated[
        Path | None, typer.Option("--config", help="pyproject.toml to read [default: nearest one]")
    ] = None,
    include: Annotated[
        list[str] | None,
        typer.Option("--include", help="Gitignore-style pattern of files to consider [*.py]."),
    ] = None,
    exclude: Annotated[
        list[str] | None, typer.Option("--exclude", help="Gitignore-style pattern to skip.")
    ] = None,
    non_blocking: Annotated[
        list[str] | None, typer.Option("--non-blocking", help="Module or function known not to block.")
    ] = None,
    blocking: Annotated[
        list[str] | None,
        typer.Option("--blocking", help="Function that blocks (threadpool), or NAME=ASYNC_TWIN to await."),
    ] = None,
    keep_sync: Annotated[
        list[str] | None,
        typer.Option("--keep-sync", help="Function to leave as it is (qualified name or glob)."),
    ] = None,
    respect_gitignore: Annotated[
        bool | None,
        typer.Option("--respect-gitignore/--no-respect-gitignore", help="Skip .gitignored files."),
    ] = None,
    convert_threadpool_only: Annotated[
        bool | None,
        typer.Option(
            "--convert-threadpool-only/--no-convert-threadpool-only",
            help="Also convert endpoints whose every blocking call needs the threadpool (default: keep def).",
        ),
    ] = None,
    http_client: Annotated[
        HttpClient | None,
        typer.Option(
            "--http-client",
            help=_HTTP_CLIENT.help,
        ),
    ] = None,
    db_session: Annotated[
        DbSession | None,
        typer.Option("--db-session", help=f"{_DB_SESSION.help} [default: {_DB_SESSION.default}]"),
    ] = None,
    _explain_rule: Annotated[
        str | None,
        typer.Option(
            "--explain", help="Explain a rule code (or 'all') and exit.", callback=_explain, is_eager=True
        ),
    ] = None,
    _show_version: Annotated[
        bool, typer.Option("--version", help="Show the version and exit.", callback=_version, is_eager=True)
    ] = False,
) -> None:
    """Migrate FastAPI endpoints and dependencies from blocking `def` to `async def`."""
    targets = paths or [Path(".")]
    try:
        config_path = config or find_config(targets[0])
        settings = with_overrides(
            load_settings(config_path),
            include=tuple(include) if include else None,
            exclude=tuple(exclude) if exclude else None,
            non_blocking=tuple(non_blocking) if non_blocking else None,
            blocking=tuple(blocking) if blocking else None,
            keep_sync=tuple(keep_sync) if keep_sync else None,
            respect_gitignore=respect_gitignore,
            http_client=http_client.value if http_client else None,
            db_session=db_session.value if db_session else None,
            convert_threadpool_only=convert_threadpool_only,
        )
        _refuse_other_files(targets, settings.include)
        with _progress(enabled=sys.stderr.isatty() and not quiet) as tick:
            # a check reported as text needs no new text, only the plan
            rewrite = diff or not check or output_format is not OutputFormat.text
            write = not (diff or check)
            result = migrate(targets, settings, jobs=jobs, on_file=tick, rewrite=rewrite, writing=write)
    except (ConfigError, UsageError) as error:
        _fail(str(error))
    if output_file is not None:  # refused before anything is written
        inputs = [*result.inputs, *([config_path] if config_path else [])]
        if problem := report_problem(output_file, inputs):
            _fail(f"--output-file {output_file} {problem}")
    if diff:
        _print_diff(result)
    verb = "rewritten" if write else "would be rewritten"
    # once files are written, a signal waits for the report that lists them
    with _signals_deferred() if write else contextlib.nullcontext([]) as stopped:
        if write:
            _write_all(result, stopped)
        _report(
            result, output_format, output_file, verb=verb, verbose=verbose, quiet=quiet, stdout_free=not diff
        )
    if stopped:
        typer.echo("async-migrate: interrupted; the files listed as rewritten are complete", err=True)
        raise typer.Exit(_interrupted_exit(stopped[0]))
    if result.errors:
        raise typer.Exit(EXIT_FAILED)
    if check and result.changed_paths:
        raise typer.Exit(EXIT_CHANGES)


def _refuse_other_files(paths: list[Path], include: tuple[str, ...]) -> None:
    """A file named on the command line must be Python: a ``.py`` file, one ``include`` names, or
    a script whose first line runs python. Anything else is a mistake to say, not to skip."""
    included = pathspec.GitIgnoreSpec.from_lines(include or ["*.py"])
    for path in paths:
        if not path.is_file() or path.suffix in {".py", ".pyw"} or included.match_file(path.name):
            continue
        try:
            with open(path, "rb") as file:
                first = file.readline(200)
        except OSError:
            continue  # reported with the other files that cannot be read
        if not (first.startswith(b"#!") and b"python" in first):
            raise UsageError(f"{path}: not a Python file (name .py files or folders)")


@contextlib.contextmanager
def _progress(enabled: bool) -> Iterator[Callable[[], None]]:
    """A live count of rewritten files on a terminal's stderr; nothing anywhere else."""
    if not enabled:
        yield lambda: None
        return
    from rich.console import Console  # only for terminals: keeps start-up fast elsewhere
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    columns = (SpinnerColumn(), TextColumn("{task.description} {task.completed} files"), TimeElapsedColumn())
    with Progress(*columns, transient=True, console=Console(stderr=True)) as progress:
        task = progress.add_task("rewriting", total=None)
        yield lambda: progress.advance(task)


def _fail(message: str) -> None:
    typer.echo(f"async-migrate: error: {message}", err=True)
    raise typer.Exit(EXIT_USAGE)


def _print_diff(result: RunResult) -> None:
    patch = "".join(
        unified_diff(change.path, change.source.text, change.new_text) for change in result.changes
    )
    out = sys.stdout
    out.write(colourize(patch) if out.isatty() else patch)
    out.flush()


@contextlib.contextmanager
def _signals_deferred() -> Iterator[list[int]]:
    """SIGINT and SIGTERM are noted, not raised, for the block: the list gets their numbers."""
    stopped: list[int] = []
    previous = {
        signum: signal.signal(signum, lambda signum, _: stopped.append(signum)) for signum in STOP_SIGNALS
    }
    try:
        yield stopped
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _write_all(result: RunResult, stopped: list[int]) -> None:
    """Write every change until a signal is noted in ``stopped``: the file being written is
    finished, the files written so far are complete, the others untouched, and no temporary file
    is left behind. The decisions of files that could not be written are dropped, so that the
    report counts what was done."""
    written, failed = [], set()
    for change in result.changes:
        if stopped:
            break
        try:
            write_atomically(change.source, change.new_text)
        except SourceError as error:
            result.errors.append(error)
            failed.add(change.path)
        else:
            written.append(change)
    result.changes[:] = written
    result.plan.decisions = [d for d in result.plan.decisions if d.location.path not in failed]


def _report(
    result: RunResult,
    output_format: OutputFormat,
    output_file: Path | None,
    *,
    verb: str,
    verbose: bool,
    quiet: bool,
    stdout_free: bool,
) -> None:
    errors_only = "".join(f"error: {error}\n" for error in result.errors)
    if output_format is OutputFormat.text:
        report = errors_only if quiet else text_report(result, verb=verb, verbose=verbose)
    else:
        renderers = {
            OutputFormat.json: json_report,
            OutputFormat.github: github_report,
            OutputFormat.sarif: sarif_report,
            OutputFormat.rdjson: rdjson_report,
        }
        report = renderers[output_format](result)
    if output_file is None:
        # text goes to stderr; a machine report to stdout, unless stdout carries the diff
        stream = sys.stderr if output_format is OutputFormat.text or not stdout_free else sys.stdout
        stream.write(report)
        return
    try:
        write_report(output_file, report)
    except OSError as error:
        _fail(f"{output_file}: cannot write the report: {error.strerror or error}")
    # the terminal still hears what failed and how it went
    sys.stderr.write(errors_only if quiet else errors_only + summary(result, verb=verb) + "\n")


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupted(BaseException):
    """SIGINT or SIGTERM arrived; ``signum`` says which (the exit code is 128 + signum).

    Not a ``KeyboardInterrupt``, which typer turns into a silent exit 130.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _interrupted_exit(signum: int) -> int:
    """The shell's convention: 130 (``EXIT_INTERRUPTED``) for Ctrl-C, 143 for SIGTERM."""
    return EXIT_INTERRUPTED - signal.SIGINT + signum


def _interrupt(signum: int, frame: object) -> None:
    raise Interrupted(signum)


def main() -> None:
    """Console entry point: click usage errors become one line and exit code 2; SIGTERM stops
    the run as Ctrl-C does (unwinding, so no temporary file is left)."""
    for signum in STOP_SIGNALS:
        signal.signal(signum, _interrupt)
    command = typer.main.get_command(app)
    try:
        code = command.main(prog_name="async-migrate", standalone_mode=False)
    except typer.Exit as exit_:
        code = exit_.exit_code
    except click_exceptions.UsageError as error:
        typer.echo(f"async-migrate: error: {error.format_message()}", err=True)
        code = EXIT_USAGE
    except (typer.Abort, KeyboardInterrupt, Interrupted) as error:
        typer.echo("async-migrate: interrupted before writing anything", err=True)
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
        # no exit handlers: they would wait for the workers to finish the files they hold, which
        # exit by themselves once this process is gone
        os._exit(_interrupted_exit(getattr(error, "signum", signal.SIGINT)))
    sys.exit(code or 0)
