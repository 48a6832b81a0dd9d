"""Supplier drop folders: workbooks a supplier (or a seller) puts in an inbox to be ingested once.

`inbox/` holds new files; after a run they move to `inbox/processed/` or `inbox/failed/` (with a
`.reason.txt` beside a failed file), stamped so that a second file of the same name never
overwrites the first.
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


def move_dropped(path: Path, outcome: str, reason: str | None = None) -> Path:
    """Move a dropped file to processed/ or failed/ beside it; returns the new path."""
    if outcome not in ("processed", "failed"):
        raise ValueError(outcome)
    target_dir = path.parent / outcome
    target_dir.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    target = target_dir / f"{stamp}-{path.name}"
    n = 1
    while target.exists():
        target = target_dir / f"{stamp}-{n}-{path.name}"
        n += 1
    if path.exists():
        path.replace(target)
    if reason is not None:
        target.with_name(target.name + ".reason.txt").write_text(reason + "\n", encoding="utf-8")
    return target
