"""The blocking-call catalog: a table from qualified name to how a call must be treated.

It is data, not code paths, so that supporting one more library is one more row. The facts
behind a row that is not obvious are in the comment beside it, and the calls that matter are run
for real in ``tests/test_behaviour_catalog.py`` and ``tests/test_blocking_holds.py``. Names are
matched as text: the tool never imports the libraries it knows about.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass


class Treatment(enum.Enum):
    """What the tool may do with a call when it appears in code that will run on the loop."""

    SAFE = "safe"
    """Known not to block: called as it is."""
    SLEEP = "sleep"
    """``time.sleep``: has an exact async twin (``asyncio.sleep`` / ``anyio.sleep``)."""
    ASYNC_TWIN = "async-twin"
    """Has an exact async twin named in the configuration: ``await twin(*args, **kwargs)``."""
    THREADPOOL = "threadpool"
    """Blocking I/O with no exact async twin: ``await run_in_threadpool(fn, *args, **kwargs)``."""
    CPU = "cpu"
    """CPU-bound work that stalls the loop: sent to the threadpool as well."""
    RESOURCE = "resource"
    """Returns an object whose use blocks (a file, a connection). Only safe to move off the loop
    together with every use of that object, i.e. as the context manager of a ``with`` block."""
    CONTEXT = "context"
    """Sets a context variable. Sync code runs in a copy of the request's context, so moving the
    call onto the loop, or into another worker thread, changes who sees the value."""
    LOCK = "lock"
    """Takes a thread lock (``Lock.acquire``, ``with lock:``, ``Condition.wait``). On the loop it
    blocks while another thread holds the lock, and held across an await it deadlocks the worker
    when a second request waits for it; in a worker thread it would be held by that thread. The
    function stays sync."""
    DB = "db-session"
    """A database session, its engine or its methods, added by ``--db-session async``: the
    sqlalchemy swap plans it (``swaps/sqlalchemy``), awaited on an ``AsyncSession`` when its whole
    group converts."""
    NEVER = "never"
    """Must not run on the loop and must not move to a worker thread either (process-global state
    such as ``os.chdir``, or an indefinite wait): the function stays sync."""


@dataclass(frozen=True)
class Entry:
    treatment: Treatment
    returns: str | None = None
    """Qualified name of the type of the result, so that methods called on it can be looked up
    (``requests.get`` returns ``requests.Response`` whose ``.json()`` is safe)."""
    twin: str | None = None
    """For ``ASYNC_TWIN``: the qualified name of the async function to await instead."""


INSTANCE_OF_FIRST_ARGUMENT = "<an instance of the class passed first>"
"""``Entry.returns`` of a call returning an instance of its first argument (``session.get(Hero, 1)``)."""


SQL_BUILDERS = (
    *("and_", "or_", "not_", "desc", "asc", "col", "text", "literal", "literal_column", "bindparam"),
    *("case", "cast", "exists", "null", "true", "false", "update", "delete", "insert", "distinct"),
    *("tuple_", "column", "table", "over", "between", "collate", "extract", "any_", "all_"),
    *("nulls_first", "nulls_last", "type_coerce"),
)
"""Functions of ``sqlalchemy`` (and ``sqlmodel``, which re-exports them; ``col`` is sqlmodel's)
that build a SQL expression or statement without running anything."""

SQL_FUNCTION_GENERATORS = frozenset({"sqlalchemy.func", "sqlalchemy.sql.func", "sqlmodel.func"})
"""``func.count(...)``, ``func.pg_sleep(...)``: any attribute of these builds a SQL function call."""


def _rows(treatment: Treatment, names: Iterable[str], returns: str | None = None) -> dict[str, Entry]:
    return {name: Entry(treatment, returns) for name in names}


SAFE, SLEEP, POOL, CPU, RESOURCE, CONTEXT, LOCK, NEVER = (
    Treatment.SAFE,
    Treatment.SLEEP,
    Treatment.THREADPOOL,
    Treatment.CPU,
    Treatment.RESOURCE,
    Treatment.CONTEXT,
    Treatment.LOCK,
    Treatment.NEVER,
)
_THREAD_LOCKS = ("Lock", "RLock", "Semaphore", "BoundedSemaphore", "Condition")

_FILE_METHODS = (
    "read",
    "readline",
    "readlines",
    "write",
    "writelines",
    "seek",
    "tell",
    "flush",
    "close",
    "truncate",
    "fileno",
)
_HTTP_VERBS = ("get", "post", "put", "patch", "delete", "head", "options", "request")

CALLS: dict[str, Entry] = {
    # -- sleeping -------------------------------------------------------------------------
    **_rows(SLEEP, ["time.sleep"]),
    # -- builtins -------------------------------------------------------------------------
    **_rows(
        RESOURCE,
        ["builtins.open", "io.open", "io.open_code", "os.fdopen", "os.popen"],
        returns="io.TextIOWrapper",
    ),
    **_rows(POOL, [f"io.TextIOWrapper.{method}" for method in (*_FILE_METHODS, "__enter__", "__exit__")]),
    **_rows(NEVER, ["builtins.input", "getpass.getpass", "os.chdir", "os.fchdir"]),
    # a nested event loop fails on the loop; from_thread only works from worker threads
    **_rows(
        NEVER,
        [
            "asyncio.run",
            "anyio.run",
            "anyio.from_thread.run",
            "anyio.from_thread.run_sync",
            "asyncio.get_event_loop().run_until_complete",
        ],
    ),
    **_rows(POOL, [f"tempfile.SpooledTemporaryFile.{method}" for method in (*_FILE_METHODS, "rollover")]),
    # pydantic-settings reads the .env file and secrets directory when a settings object is built
    **_rows(POOL, ["pydantic_settings.BaseSettings", "pydantic_settings.main.BaseSettings"]),
    **_rows(POOL, ["inspect.getsource", "inspect.getsourcelines", "inspect.getsourcefile"]),
    # json reads or writes the file object it is given: a real file (an UploadFile's .file once
    # it rolled to disk) blocks, whatever json's own functions do
    **_rows(POOL, ["json.load", "json.dump"]),
    # -- one-time I/O -----------------------------------------------------------------------
    # mimetypes' module functions read the system's mime.types files on their first call in the
    # process, then only look up tables (Starlette's FileResponse calls guess_type on the loop):
    # safe, as the rest of the module. What reads files on every call is not.
    **_rows(
        POOL,
        [
            "mimetypes.init",
            "mimetypes.read_mime_types",
            "mimetypes.MimeTypes",
            "mimetypes.MimeTypes.read",
            "mimetypes.MimeTypes.readfp",
            "mimetypes.MimeTypes.read_windows_registry",
        ],
    ),
    # ZoneInfo(key) reads the zone's file whenever the key is not cached, and the cache keeps only
    # the last 8 keys and the instances still referenced: not one-time, so it goes to the threadpool
    **_rows(POOL, ["zoneinfo.ZoneInfo", "zoneinfo.ZoneInfo.no_cache"], returns="zoneinfo.ZoneInfo"),
    **_rows(POOL, ["zoneinfo.ZoneInfo.from_file", "zoneinfo.available_timezones"]),
    # -- loguru: its logging methods block only on their sinks, as the logging module's do --------
    **_rows(
        SAFE,
        [
            f"loguru.logger.{method}"
            for method in (
                "trace",
                "debug",
                "info",
                "success",
                "warning",
                "error",
                "critical",
                "exception",
                "log",
                "catch",
                "contextualize",  # sets a context variable and resets it when its block ends
                "level",
                "disable",
                "enable",
            )
        ],
    ),
    **_rows(
        SAFE, [f"loguru.logger.{method}" for method in ("bind", "opt", "patch")], returns="loguru.logger"
    ),
    # adding a sink opens its file; removing one closes it and joins its thread; complete() waits
    **_rows(POOL, [f"loguru.logger.{method}" for method in ("add", "remove", "configure", "complete")]),
    # -- in-memory files, tokens, query builders: no I/O -----------------------------------
    **_rows(SAFE, ["io.BytesIO"], returns="io.BytesIO"),
    **_rows(SAFE, ["io.StringIO"], returns="io.StringIO"),
    **_rows(SAFE, ["jwt.encode", "jwt.decode", "jwt.get_unverified_header"]),
    **_rows(
        SAFE,
        ["sqlmodel.select", "sqlalchemy.select", "sqlalchemy.sql.expression.select"],
        returns="sqlalchemy.Select",
    ),
    # SQL expression builders: they build a statement, the session's execute runs it
    **_rows(
        SAFE,
        [
            f"{module}.{name}"
            for module in ("sqlalchemy", "sqlmodel")
            for name in SQL_BUILDERS
            if name != "col" or module == "sqlmodel"
        ],
        returns="sqlalchemy.ClauseElement",
    ),
    **_rows(
        SAFE,
        [
            f"sqlmodel.SQLModel.{method}"
            for method in (
                "model_validate",
                "model_dump",
                "model_dump_json",
                "model_copy",
                "sqlmodel_update",
                "dict",
                "json",
                "from_orm",
                "parse_obj",
            )
        ],
    ),
    # -- context variables ----------------------------------------------------------------
    **_rows(SAFE, ["contextvars.ContextVar"], returns="contextvars.ContextVar"),
    **_rows(SAFE, ["contextvars.ContextVar.get"]),
    **_rows(
        CONTEXT, ["contextvars.ContextVar.set", "contextvars.ContextVar.reset", "contextvars.Context.run"]
    ),
    # -- thread synchronisation -----------------------------------------------------------
    **{f"threading.{kind}": Entry(SAFE, f"threading.{kind}") for kind in (*_THREAD_LOCKS, "Event")},
    **_rows(
        LOCK, [f"threading.{kind}.{method}" for kind in _THREAD_LOCKS for method in ("acquire", "__enter__")]
    ),
    **_rows(LOCK, ["threading.Condition.wait", "threading.Condition.wait_for"]),
    **_rows(
        SAFE,
        [
            f"threading.{kind}.{method}"
            for kind in _THREAD_LOCKS
            for method in ("release", "locked", "notify", "notify_all", "__exit__")
        ],
    ),
    **_rows(SAFE, ["threading.Event.set", "threading.Event.clear", "threading.Event.is_set"]),
    **_rows(POOL, ["threading.Event.wait"]),
    # -- subprocess and processes ---------------------------------------------------------
    **_rows(POOL, ["subprocess.run"], returns="subprocess.CompletedProcess"),
    **_rows(
        POOL,
        [
            "subprocess.call",
            "subprocess.check_call",
            "subprocess.check_output",
            "subprocess.getoutput",
            "subprocess.getstatusoutput",
            "os.system",
            "os.wait",
            "os.waitpid",
            "os.posix_spawn",
            "os.posix_spawnp",
        ],
    ),
    **_rows(RESOURCE, ["subprocess.Popen"]),
    # -- files and the file system --------------------------------------------------------
    **_rows(
        POOL,
        [
            "os.listdir",
            "os.stat",
            "os.lstat",
            "os.remove",
            "os.unlink",
            "os.rename",
            "os.replace",
            "os.mkdir",
            "os.makedirs",
            "os.rmdir",
            "os.removedirs",
            "os.link",
            "os.symlink",
            "os.readlink",
            "os.access",
            "os.statvfs",
            "os.sendfile",
            "os.chmod",
            "os.chown",
            "os.utime",
            "os.truncate",
            "os.path.exists",
            "os.path.lexists",
            "os.path.isfile",
            "os.path.isdir",
            "os.path.islink",
            "os.path.ismount",
            "os.path.samefile",
            "os.path.getsize",
            "os.path.getmtime",
            "os.path.getatime",
            "os.path.getctime",
            "os.path.realpath",
            "shutil.copy",
            "shutil.copy2",
            "shutil.copyfile",
            "shutil.copyfileobj",
            "shutil.copytree",
            "shutil.rmtree",
            "shutil.move",
            "shutil.make_archive",
            "shutil.unpack_archive",
            "shutil.disk_usage",
            "shutil.which",
            "glob.glob",
            "tempfile.mkstemp",
            "tempfile.mkdtemp",
        ],
    ),
    # os.walk / os.scandir / glob.iglob are lazy: their iteration blocks, so they are only safe
    # moved off the loop together with the loop that consumes them.
    **_rows(RESOURCE, ["os.walk", "os.scandir", "glob.iglob"]),
    **_rows(
        RESOURCE,
        [
            "tempfile.NamedTemporaryFile",
            "tempfile.TemporaryFile",
            "tempfile.SpooledTemporaryFile",
            "tempfile.TemporaryDirectory",
            "gzip.open",
            "bz2.open",
            "lzma.open",
            "zipfile.ZipFile",
            "tarfile.open",
            "shelve.open",
            "dbm.open",
        ],
    ),
    **_rows(SAFE, ["pathlib.Path", "pathlib.PurePath", "pathlib.PosixPath"], returns="pathlib.Path"),
    **_rows(
        SAFE,
        [
            "pathlib.Path.joinpath",
            "pathlib.Path.with_suffix",
            "pathlib.Path.with_name",
            "pathlib.Path.with_stem",
            "pathlib.Path.relative_to",
        ],
        returns="pathlib.Path",
    ),
    **_rows(SAFE, ["pathlib.Path.as_posix", "pathlib.Path.is_absolute", "pathlib.Path.match"]),
    **_rows(
        POOL,
        [
            f"pathlib.Path.{method}"
            for method in (
                "read_text",
                "read_bytes",
                "write_text",
                "write_bytes",
                "exists",
                "is_file",
                "is_dir",
                "is_symlink",
                "is_mount",
                "stat",
                "lstat",
                "touch",
                "unlink",
                "mkdir",
                "rmdir",
                "rename",
                "replace",
                "chmod",
                "samefile",
                "resolve",
                "absolute",
                "readlink",
                "symlink_to",
                "hardlink_to",
                "owner",
                "group",
                "expanduser",
            )
        ],
    ),
    **_rows(
        RESOURCE,
        [
            "pathlib.Path.open",
            "pathlib.Path.iterdir",
            "pathlib.Path.glob",
            "pathlib.Path.rglob",
            "pathlib.Path.walk",
        ],
    ),
    # -- databases, sockets, mail ---------------------------------------------------------
    **_rows(RESOURCE, ["sqlite3.connect"], returns="sqlite3.Connection"),
    **_rows(
        POOL,
        [
            "sqlite3.Connection.execute",
            "sqlite3.Connection.executemany",
            "sqlite3.Connection.executescript",
            "sqlite3.Connection.cursor",
        ],
        returns="sqlite3.Cursor",
    ),
    **_rows(
        POOL,
        [
            f"sqlite3.{owner}.{method}"
            for owner in ("Connection", "Cursor")
            for method in (
                "commit",
                "rollback",
                "close",
                "fetchone",
                "fetchmany",
                "fetchall",
                "execute",
                "executemany",
                "executescript",
            )
        ],
    ),
    **_rows(
        RESOURCE,
        [
            "socket.socket",
            "socket.create_connection",
            "smtplib.SMTP",
            "smtplib.SMTP_SSL",
            "smtplib.LMTP",
            "urllib.request.urlopen",
            "http.client.HTTPConnection",
            "http.client.HTTPSConnection",
        ],
    ),
    **_rows(
        POOL,
        [
            "socket.getaddrinfo",
            "socket.gethostbyname",
            "socket.gethostbyaddr",
            "socket.getfqdn",
            "ssl.create_default_context",
        ],
    ),
    # -- HTTP: translated to an async client where exact (swaps/http), else moved to the threadpool --
    **_rows(POOL, [f"requests.{verb}" for verb in _HTTP_VERBS], returns="requests.Response"),
    **_rows(POOL, [f"requests.Session.{verb}" for verb in _HTTP_VERBS], returns="requests.Response"),
    **_rows(
        POOL,
        [f"httpx.{verb}" for verb in _HTTP_VERBS if verb != "request"] + ["httpx.request"],
        returns="httpx.Response",
    ),
    **_rows(SAFE, ["requests.Session"], returns="requests.Session"),
    **_rows(POOL, ["requests.Session.close", "requests.Session.send"]),
    # bodies built in place: their type decides how an HTTP translation sends them
    **_rows(SAFE, ["json.dumps"], returns="builtins.str"),
    # building a client builds its SSL context: CPU, milliseconds, but no I/O
    **_rows(SAFE, ["httpx.Client"], returns="httpx.Client"),
    **_rows(POOL, [f"httpx.Client.{verb}" for verb in _HTTP_VERBS], returns="httpx.Response"),
    **_rows(POOL, ["httpx.Client.close", "httpx.Client.send"]),
    **_rows(
        SAFE,
        [f"requests.Response.{attr}" for attr in ("json", "raise_for_status", "close")],
    ),
    **_rows(RESOURCE, ["requests.Response.iter_content", "requests.Response.iter_lines"]),
    **_rows(SAFE, [f"httpx.Response.{attr}" for attr in ("json", "raise_for_status", "read")]),
    # -- CPU-bound ------------------------------------------------------------------------
    **_rows(
        CPU,
        [
            "hashlib.pbkdf2_hmac",
            "hashlib.scrypt",
            "bcrypt.hashpw",
            "bcrypt.checkpw",
            "bcrypt.kdf",
            "bcrypt.gensalt",
            "passlib.context.CryptContext.hash",
            "passlib.context.CryptContext.verify",
            "passlib.context.CryptContext.verify_and_update",
            "argon2.PasswordHasher.hash",
            "argon2.PasswordHasher.verify",
        ],
    ),
    # -- the stdlib bits that look like I/O but are not -----------------------------------
    **_rows(
        SAFE,
        [
            "os.getenv",
            "os.getpid",
            "os.cpu_count",
            "os.fspath",
            "os.urandom",
            "os.path.join",
            "os.path.basename",
            "os.path.dirname",
            "os.path.splitext",
            "os.path.split",
            "os.path.normpath",
            "os.path.normcase",
            "os.path.isabs",
            "os.path.relpath",
            "os.path.commonpath",
            "os.path.expandvars",
            "os.environ.get",
            "os.environ.copy",
            "time.time",
            "time.monotonic",
            "time.perf_counter",
            "time.time_ns",
            "time.monotonic_ns",
            "time.perf_counter_ns",
            "time.strftime",
            "time.gmtime",
            "time.localtime",
            "socket.gethostname",
            "subprocess.CompletedProcess.check_returncode",
            "hashlib.sha1",
            "hashlib.sha256",
            "hashlib.sha512",
            "hashlib.md5",
            "hashlib.blake2b",
            "hashlib.new",
        ],
    ),
}

SAFE_MODULES: frozenset[str] = frozenset(
    {
        # pure standard library
        "abc",
        "base64",
        "binascii",
        "bisect",
        "calendar",
        "collections",
        "contextlib",
        "copy",
        "csv",
        "dataclasses",
        "datetime",
        "decimal",
        "difflib",
        "enum",
        "fractions",
        "functools",
        "hmac",
        "heapq",
        "html",
        "inspect",
        "ipaddress",
        "itertools",
        "json",
        "keyword",
        "logging",
        "math",
        "numbers",
        "operator",
        "pprint",
        "random",
        "re",
        "secrets",
        "statistics",
        "string",
        "struct",
        "textwrap",
        "typing",
        "typing_extensions",
        "unicodedata",
        "urllib.parse",
        "uuid",
        "warnings",
        "weakref",
        "zoneinfo",
        "contextvars",
        "types",
        "email.message",
        "email.utils",
        "email.mime",
        "http",
        "mimetypes",
        "shlex",
        "fnmatch",
        "posixpath",
        "ntpath",
        "traceback",
        "asyncio",
        "anyio",
        # the frameworks the migrated code runs on
        "fastapi",
        "starlette",
        "pydantic",
        "pydantic_settings",
    }
)
"""Modules whose every function and class is known not to block (or blocks only on stdout)."""

SAFE_TYPES: frozenset[str] = frozenset(
    {
        "builtins.str",
        "builtins.bytes",
        "builtins.bytearray",
        "builtins.int",
        "builtins.float",
        "builtins.complex",
        "builtins.bool",
        "builtins.list",
        "builtins.dict",
        "builtins.set",
        "builtins.frozenset",
        "builtins.tuple",
        "builtins.object",
        "builtins.range",
        "builtins.NoneType",
        "io.BytesIO",
        "io.StringIO",
        "sqlalchemy.Select",
        "sqlalchemy.ClauseElement",
    }
)
"""Types whose every method is known not to block."""

ATTRIBUTES: dict[str, str] = {
    # an UploadFile's .file is the spooled temporary file: blocking once it rolled to disk
    "fastapi.UploadFile.file": "tempfile.SpooledTemporaryFile",
    "fastapi.datastructures.UploadFile.file": "tempfile.SpooledTemporaryFile",
    "starlette.datastructures.UploadFile.file": "tempfile.SpooledTemporaryFile",
    "pathlib.Path.parent": "pathlib.Path",
    "pathlib.Path.name": "builtins.str",
    "pathlib.Path.stem": "builtins.str",
    "pathlib.Path.suffix": "builtins.str",
    "pathlib.Path.parts": "builtins.tuple",
}
"""Types of attributes of external types, where they matter for the methods called on them."""

CALLS_ITS_ARGUMENTS: dict[str, tuple[tuple[int, ...], tuple[str, ...]]] = {
    **dict.fromkeys(
        ["builtins.map", "builtins.filter", "functools.reduce", "itertools.starmap", "itertools.filterfalse"],
        ((0,), ()),
    ),
    **dict.fromkeys(["itertools.takewhile", "itertools.dropwhile"], ((0,), ())),
    **dict.fromkeys(
        [
            "builtins.sorted",
            "builtins.min",
            "builtins.max",
            "builtins.list.sort",
            "builtins.object.sort",  # a plain value's sort: a list's
            "heapq.nsmallest",
            "heapq.nlargest",
            "heapq.merge",
            "bisect.bisect",
            "bisect.bisect_left",
            "bisect.bisect_right",
            "bisect.insort",
            "bisect.insort_left",
            "bisect.insort_right",
        ],
        ((), ("key",)),
    ),
    "itertools.groupby": ((1,), ("key",)),
    "itertools.accumulate": ((1,), ("func",)),
    "re.sub": ((1,), ("repl",)),
    "re.subn": ((1,), ("repl",)),
}
"""Functions that call a callable argument (these positions and keywords) before they return or
while their result is iterated, on the caller's thread: a blocking callable passed there runs
on the event loop."""

HELD_ATTRIBUTES: dict[str, str | None] = {
    "app": None,
    "state": None,
    "user": None,
    "auth": None,
    "extra": None,
    "scope": "starlette.types.Scope",
}
"""Attributes of a framework object (``request.app``, ``request.state``, ``websocket.scope``...)
where the service keeps its own objects: a session, a connection, a model, an ``Event``. What is
read through them is of unknown type (or, for ``scope``, a mapping of such objects), never "safe
because it hangs off a framework object"."""

HELD_MAPPINGS: frozenset[str] = frozenset({"starlette.types.Scope"})
"""Framework mappings of the service's objects: their methods are a dict's, but what they return
is of unknown type."""

VALUE_TYPES: frozenset[str] = frozenset(
    {
        "subprocess.CompletedProcess",
        "requests.Response",
        "httpx.Response",
        "os.stat_result",
        "io.TextIOWrapper",
    }
)
"""External types whose attributes are plain values (``proc.stdout``, ``resp.status_code``)."""

BLOCKING_BUILTINS = frozenset({"open", "input", "breakpoint", "exec", "eval", "__import__"})


def _module_prefixes(qualname: str) -> Iterable[str]:
    parts = qualname.split(".")
    for end in range(len(parts) - 1, 0, -1):
        yield ".".join(parts[:end])


class Catalog:
    """Looks up qualified names; project configuration can add rows on top of the defaults."""

    def __init__(
        self,
        extra_calls: Mapping[str, Entry] | None = None,
        extra_safe: Iterable[str] = (),
    ) -> None:
        self.calls = {**CALLS, **(extra_calls or {})}
        self.safe_prefixes = SAFE_MODULES | frozenset(extra_safe)

    def lookup(self, qualname: str) -> Entry | None:
        """The entry for ``qualname``; ``None`` when the call is unknown (so possibly blocking)."""
        entry = self.calls.get(qualname)
        if entry is not None:
            return entry
        if qualname.startswith("builtins."):
            name = qualname.removeprefix("builtins.")
            return None if name in BLOCKING_BUILTINS else Entry(SAFE, qualname)
        owner = qualname.rpartition(".")[0]
        if owner in SQL_FUNCTION_GENERATORS:
            return Entry(SAFE, "sqlalchemy.ClauseElement")
        if owner in SAFE_TYPES:
            return Entry(SAFE)
        if self.in_safe_module(qualname):
            return Entry(SAFE)
        return None

    def in_safe_module(self, qualname: str) -> bool:
        """``qualname`` lives in a module whose every function and type is non-blocking."""
        return qualname in self.safe_prefixes or any(
            prefix in self.safe_prefixes for prefix in _module_prefixes(qualname)
        )
