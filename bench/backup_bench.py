"""Backup and restore of the demo workspace: ``python bench/backup_bench.py [--repeat 3]``.

Seeds the demo workspace once (about 30 s), then times, as medians:
- ``cp -a`` of the workspace file and its folder (the floor: a raw copy, unsafe while the app writes);
- ``workspace backup`` by the process holding the workspace (CHECKPOINT and copy under its write lock);
- ``workspace backup`` by the CLI while another process holds the workspace and commits without pause,
  checkpointing every 5 commits (the copy is retried when a checkpoint overlaps it; attempts printed);
- ``workspace restore`` (every checksum verified, copied, the chain verified).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lifecycle import backup, demo  # noqa: E402
from lifecycle.store import snapshot  # noqa: E402
from lifecycle.store.db import close_database  # noqa: E402
from lifecycle.workspace import open_workspace  # noqa: E402

HOLDER = """
    import sys
    from lifecycle import auth
    from lifecycle.workspace import open_workspace
    workspace = open_workspace(sys.argv[1])
    admin = auth.get_user(workspace, "admin")
    print("READY", flush=True)
    n = 0
    while True:
        auth.add_user(workspace, admin, f"bench{sys.argv[2]}-{n:06d}", "stakeholder")
        n += 1
        if n % 5 == 0:
            workspace.db.cursor().execute("CHECKPOINT")
"""


def _timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="backup-bench-"))
    path = folder / "demo.duckdb"
    seeded = _timed(lambda: demo.seed_demo(open_workspace(path)))
    close_database(path)
    size = path.stat().st_size + sum(p.stat().st_size for p in path.with_suffix(".files").rglob("*") if p.is_file())
    print(f"demo workspace seeded in {seeded:.1f} s: {size / 1e6:.1f} MB (database {path.stat().st_size / 1e6:.1f} MB)")

    times: dict[str, list[float]] = {"cp -a (raw, unsafe while writing)": [], "backup, by the holding process": [],
                                     "backup, from another process while one writes": [], "restore (verify, copy, chain)": []}
    attempts, files, backed = [], 0, 0
    count = snapshot.copy_beside

    def counting(*a, **k):
        attempts.append(count(*a, **k))
        return attempts[-1]

    for n in range(args.repeat):
        raw = folder / f"raw{n}"
        raw.mkdir()
        times["cp -a (raw, unsafe while writing)"].append(_timed(lambda: subprocess.run(
            ["cp", "-a", str(path), str(path.with_suffix(".files")), str(raw)], check=True)))
        open_workspace(path)
        made = []
        times["backup, by the holding process"].append(
            _timed(lambda: made.append(backup.backup_workspace(path, "admin", folder / f"here{n}"))))
        close_database(path)
        files, backed = len(made[0].files), made[0].bytes
        holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(HOLDER), str(path), str(n)], cwd=ROOT,
                                  stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
        try:
            assert holder.stdout.readline().strip() == "READY"
            snapshot.copy_beside = counting
            times["backup, from another process while one writes"].append(
                _timed(lambda: backup.backup_workspace(path, "admin", folder / f"beside{n}")))
            assert holder.poll() is None, "the writing process stopped"
        finally:
            snapshot.copy_beside = count
            holder.kill()
            holder.wait()
        target = folder / f"restored{n}" / "w.duckdb"
        times["restore (verify, copy, chain)"].append(
            _timed(lambda: backup.restore_workspace(folder / f"here{n}", target, "admin")))
        close_database(target)
    print(f"backup: {files} files, {backed / 1e6:.1f} MB; attempts beside the writer: {attempts}")
    print("| operation | median s | runs |")
    print("|---|---|---|")
    for name, values in times.items():
        print(f"| {name} | {statistics.median(values):.2f} | {len(values)} |")
    print(json.dumps({k: statistics.median(v) for k, v in times.items()}))
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
