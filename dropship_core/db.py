"""Where the store lives: `DATABASE_URL` when set, else a Postgres the project starts itself.

The embedded default is the `pgserver` wheel (PostgreSQL 16 with pgvector) under
`.dropship/pg`, listening on a Unix socket only. It keeps running after the process exits so
the CLI, the Dagster UI and the demo all share it; `dropship db stop` stops it.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

_SECRET_IN_URL = re.compile(r"(://[^:/@]*:)([^@]*)(@)")


def project_home() -> Path:
    """`.dropship/` in the project root (or DROPSHIP_HOME)."""
    home = os.environ.get("DROPSHIP_HOME")
    if home:
        return Path(home)
    return Path.cwd() / ".dropship"


def redact_url(url: str) -> str:
    """A connection URL safe to print: the password is replaced by ***."""
    return _SECRET_IN_URL.sub(r"\1***\3", url)


def embedded_dir() -> Path:
    return project_home() / "pg"


def start_embedded(data_dir: Path | None = None) -> str:
    """Start (or attach to) the embedded Postgres and return its socket URL."""
    import tempfile

    # pgserver's platformdirs lookup warns without a runtime dir (containers, CI).
    if not os.environ.get("XDG_RUNTIME_DIR"):
        rt = Path(tempfile.gettempdir()) / f"dropship-runtime-{os.getuid()}"
        rt.mkdir(mode=0o700, exist_ok=True)
        os.environ["XDG_RUNTIME_DIR"] = str(rt)
    import pgserver  # imported lazily: only the embedded path needs it

    data_dir = data_dir or embedded_dir()
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(str(data_dir), cleanup_mode=None)
    uri = server.get_uri()
    # pgserver gives postgresql://postgres:@/postgres?host=/path: psycopg accepts it as is.
    return uri


def stop_embedded(data_dir: Path | None = None) -> bool:
    data_dir = data_dir or embedded_dir()
    if not (data_dir / "postmaster.pid").exists():
        return False
    from pgserver._commands import pg_ctl

    # started by root, pgserver runs the server as its own unprivileged `pgserver` user
    user = "pgserver" if os.geteuid() == 0 else None
    try:
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=data_dir, user=user, timeout=30)
    except Exception:  # already stopped, or a stale pid file
        return False
    return True


def database_url() -> str:
    """The store's URL: DATABASE_URL, or the embedded server (started on first use)."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        return url
    return start_embedded()


def is_embedded(url: str) -> bool:
    return "host=/" in url
