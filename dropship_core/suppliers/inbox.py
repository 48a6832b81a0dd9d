"""Supplier drop folders: workbooks a supplier (or a seller) puts in an inbox to be ingested once.

`inbox/` holds new files. The run that ingests one first claims it: an atomic rename into
`inbox/processing/<run id>/`, so of two workers started for the same file exactly one gets it (the
inbox must be one filesystem shared by the workers: a rename is atomic within a filesystem). After
the run the file moves to `inbox/processed/` or `inbox/failed/` (with a `.reason.txt` beside a
failed file), stamped so that a second file of the same name never overwrites the first.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

DROP_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods", ".csv")


@dataclass(frozen=True)
class DroppedFile:
    path: Path
    size: int
    mtime_ns: int

    @property
    def key(self) -> str:
        """Identity of this version of the file: a rewrite under the same name is a new drop."""
        return f"{self.path.name}:{self.size}:{self.mtime_ns}"


def list_dropped(inbox: str | Path, min_age_seconds: float = 2.0, now: float | None = None) -> list[DroppedFile]:
    """Files ready to ingest, oldest first; a file still being written (too recent) waits."""
    folder = Path(inbox)
    if not folder.is_dir():
        return []
    now = time.time() if now is None else now
    root = folder.resolve()
    out = []
    for p in folder.iterdir():
        # a symlink (or anything resolving outside the inbox) is never followed: a drop folder
        # must not become a way to make the pipeline read other files
        if p.is_symlink() or p.resolve().parent != root:
            continue
        if not p.is_file() or p.suffix.lower() not in DROP_SUFFIXES or p.name.startswith((".", "~$")):
            continue
        st = p.stat(follow_symlinks=False)
        if now - st.st_mtime < min_age_seconds:
            continue
        out.append(DroppedFile(p, st.st_size, st.st_mtime_ns))
    return sorted(out, key=lambda f: (f.mtime_ns, f.path.name))


PROCESSING = "processing"


def claim_dropped(path: str | Path, run_id: str) -> Path | None:
    """Claim a dropped file for one run: move it into `processing/<run_id>/` beside it.

    Returns the claimed path, or None when another run claimed it first (or it is gone). A run
    re-executed under the same id finds its own claim again, so a retried step goes on with the
    file it already holds."""
    src = Path(path)
    if not run_id or "/" in run_id or run_id in (".", ".."):
        raise ValueError(f"not a run id: {run_id!r}")
    folder = src.parent / PROCESSING / run_id
    claimed = folder / src.name
    if claimed.is_file():
        return claimed
    folder.mkdir(parents=True, exist_ok=True)
    try:
        # rename(2) within one filesystem is atomic: of two claimants exactly one succeeds
        src.rename(claimed)
    except FileNotFoundError:
        _remove_if_empty(folder)
        return None
    return claimed


def inbox_of(path: Path) -> Path:
    """The inbox folder of a dropped file, whether it still sits there or was claimed."""
    if path.parent.parent.name == PROCESSING:
        return path.parent.parent.parent
    return path.parent


def _remove_if_empty(folder: Path) -> None:
    try:
        folder.rmdir()
    except OSError:
        pass


def move_dropped(path: Path, outcome: str, reason: str | None = None) -> Path:
    """Move a dropped (or claimed) file to the inbox's processed/ or failed/; returns the new path."""
    if outcome not in ("processed", "failed"):
        raise ValueError(outcome)
    target_dir = inbox_of(path) / outcome
    target_dir.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    target = target_dir / f"{stamp}-{path.name}"
    n = 1
    while target.exists():
        target = target_dir / f"{stamp}-{n}-{path.name}"
        n += 1
    if path.exists():
        path.replace(target)
    if path.parent.parent.name == PROCESSING:
        _remove_if_empty(path.parent)
    if reason is not None:
        target.with_name(target.name + ".reason.txt").write_text(reason + "\n", encoding="utf-8")
    return target


def claimed_files(inbox: str | Path) -> list[tuple[str, Path]]:
    """Files held in `processing/<run id>/`: (run id, path), oldest first. A file stays there only
    while its run reads it, or after that run crashed."""
    root = Path(inbox) / PROCESSING
    if not root.is_dir():
        return []
    out = [(d.name, p) for d in root.iterdir() if d.is_dir() for p in d.iterdir() if p.is_file()]
    return sorted(out, key=lambda t: (t[1].stat().st_mtime_ns, t[1].name))
