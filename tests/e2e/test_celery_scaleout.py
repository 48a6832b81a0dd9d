"""Scale-out for real: `product_sync` for three supplier partitions, then `publish_listings` for
every market × supplier, on the Celery executor with two workers that share nothing but the
Postgres run/event storage, the product store and the Redis broker (each its own working
directory and DAGSTER_HOME). The store, the store's events and the marketplace calls equal an
in-process run of the same jobs; steps of both jobs ran on both workers; nothing was pickled.

Topology as in deploy/compose.yaml: launcher (webserver/daemon role) + worker 1 + worker 2,
Postgres for runs, events and the store, Redis as the broker.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import psycopg
import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
REDIS = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
# three small supplier workbooks (the pipeline's behaviour at volume is measured in bench/)
SUPPLIERS = ("excel-north", "excel-south", "excel-east")
ITEMS = ["스테인리스 진공 텀블러 500ml", "접이식 수납박스 30L", "캔버스 에코백 대형", "규조토 발매트 대형",
         "실리콘 주방 집게 세트", "무선 미니 가습기", "극세사 차렵이불 퀸", "원목 독서대 각도조절"]
MARKETS = ("smartstore", "coupang", "gmarket")


def redis_up() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS, socket_connect_timeout=2).ping())
    except Exception:
        return False


def claim_redis_db():
    """The first of Redis databases 15..1 no other run holds (a key set only if absent, expiring
    after an hour), and its client (flushed when the test is done)."""
    import redis

    base = REDIS.rsplit("/", 1)[0]
    for db in range(15, 0, -1):
        r = redis.Redis.from_url(f"{base}/{db}")
        if r.set("dropship-test:scaleout-claim", str(os.getpid()), nx=True, ex=3600):
            for key in r.scan_iter():  # what a run that died left behind
                if key != b"dropship-test:scaleout-claim":
                    r.delete(key)
            return db, r
    pytest.skip("every Redis database from 1 to 15 is held by another run")


pytestmark = pytest.mark.skipif(not redis_up() or shutil.which(str(BIN / "dagster-celery")) is None,
                                reason="needs Redis on 127.0.0.1:6379 and dagster-celery installed")


def swap_db(base: str, name: str, scheme: str | None = None) -> str:
    p = urlsplit(base)
    return urlunsplit((scheme or p.scheme, p.netloc, f"/{name}", p.query, ""))


def write_workbook(path: Path, key: str, n: int) -> None:
    from openpyxl import Workbook

    book = Workbook()
    ws = book.active
    ws.append(["상품코드", "상품명", "공급가", "재고", "배송비", "원산지", "제조사", "대표이미지", "상세설명"])
    for i in range(n):
        name = ITEMS[i % len(ITEMS)]
        ws.append([f"{key[6:9].upper()}{i:03d}", f"{key[6:]} {name}", 4000 + 700 * i, 5 + i, 3000, "국산", "다온",
                   f"https://img.example.kr/{key}/{i}.jpg", f"{name} 상세설명"])
    ws.append([f"{key[6:9].upper()}999", "", "가격문의", 1, 0, "", "", "", ""])  # quarantined
    book.save(path)


def dagster_home(path: Path, storage_url: str) -> Path:
    """A DAGSTER_HOME of its own whose run/event/schedule storage is the shared Postgres."""
    path.mkdir(parents=True)
    (path / "dagster.yaml").write_text(
        "telemetry:\n  enabled: false\nnux:\n  enabled: false\n"
        f"storage:\n  postgres:\n    postgres_url: \"{storage_url}\"\n", encoding="utf-8")
    return path


@pytest.fixture
def world(base_url, public_tmp):
    from dropship_core.store import Store
    from dropship_sandbox.market_common import start_market_sandboxes

    tag = uuid.uuid4().hex[:8]
    names = {k: f"scaleout_{k}_{tag}" for k in ("runs", "store_a", "store_b")}
    with psycopg.connect(base_url, autocommit=True) as c:
        for n in names.values():
            c.execute(f"CREATE DATABASE {n}")
    urls = {k: swap_db(base_url, n) for k, n in names.items()}
    runs_url = swap_db(base_url, names["runs"], "postgresql+psycopg2")
    for k in ("store_a", "store_b"):
        Store(urls[k]).migrate()
    # the supplier files: on a disk every worker reaches (here one folder; in production a share)
    shared = public_tmp / "shared"
    shared.mkdir()
    lines = ["suppliers:"]
    for i, key in enumerate(SUPPLIERS):
        write_workbook(shared / f"{key}.xlsx", key, 6 + 2 * i)
        lines.append(f"  - key: {key}\n    kind: excel\n    path: {shared / key}.xlsx")
    (shared / "suppliers.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    sandboxes = {}
    for side in ("a", "b"):
        servers, env = start_market_sandboxes(0, rate_limits=False)
        env.update(SMARTSTORE_RATE_PER_S="500", COUPANG_RATE_PER_S="500", ESM_RATE_PER_S="500")
        sandboxes[side] = (dict(zip(MARKETS, servers)), env)
    # a Redis database of its own: two test runs on one machine (CI and a fresh-clone check) must
    # not hand each other's tasks to their workers
    db, claim = claim_redis_db()
    broker = REDIS.rsplit("/", 1)[0] + f"/{db}"
    base_env = {k: v for k, v in os.environ.items() if not k.startswith(("DAGSTER_", "DROPSHIP_"))}
    base_env.update(PYTHONPATH=str(ROOT), DROPSHIP_SUPPLIERS=str(shared / "suppliers.yaml"),
                    DROPSHIP_CELERY_BROKER=broker, DROPSHIP_CELERY_BACKEND=broker,
                    PATH=f"{BIN}:{os.environ.get('PATH', '')}")

    def env_for(side: str, home: Path, **extra) -> dict:
        return {**base_env, **sandboxes[side][1], "DATABASE_URL": urls[f"store_{side}"], "DAGSTER_HOME": str(home),
                **extra}

    yield {"tmp": public_tmp, "urls": urls, "runs_url": runs_url, "broker": broker, "sandboxes": sandboxes,
           "env_for": env_for}
    for servers, _ in sandboxes.values():
        for s in servers.values():
            s.stop()
    with psycopg.connect(base_url, autocommit=True) as c:
        for n in names.values():
            c.execute(f"DROP DATABASE IF EXISTS {n} WITH (FORCE)")
    claim.flushdb()


def start_worker(i: int, world: dict) -> tuple[subprocess.Popen, Path]:
    """One worker as production starts it (deploy/worker.sh), in its own working directory with
    its own DAGSTER_HOME."""
    wd = world["tmp"] / f"worker{i}"
    home = dagster_home(wd / "dagster_home", world["runs_url"])
    log = wd / "worker.log"
    env = world["env_for"]("b", home, DROPSHIP_EXECUTOR="celery", DROPSHIP_WORKER_NAME=f"dropship-w{i}",
                           DROPSHIP_WORKER_CONCURRENCY="1")
    proc = subprocess.Popen(["sh", str(ROOT / "deploy" / "worker.sh")], env=env, cwd=wd, stdout=log.open("w"),
                            stderr=subprocess.STDOUT, start_new_session=True)
    return proc, log


def stop(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def launch(env: dict, cwd: Path, mode: str, plan: list[tuple[str, str]]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(ROOT / "tests/e2e/launch_runs.py"), mode, json.dumps(plan)],
                            env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(procs: list[subprocess.Popen], timeout: float = 240) -> list[str]:
    run_ids = []
    for p in procs:
        out, err = p.communicate(timeout=timeout)
        lines = [ln.split() for ln in out.splitlines() if ln.startswith("RUN ")]
        assert p.returncode == 0 and lines and all(ln[4] == "True" for ln in lines), out[-2000:] + err[-4000:]
        run_ids += [ln[3] for ln in lines]
    return run_ids


def plans() -> tuple[list, list]:
    sync = [("product_sync", s) for s in SUPPLIERS]
    # every market, for two of the suppliers
    publish = [("publish_listings", f"{m}|{s}") for m in MARKETS for s in SUPPLIERS[:2]]
    return sync, publish


def _strip(value):
    """JSON without what differs between two runs of the same work: run ids, times, row ids."""
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if not (k.endswith("_at") or k in ("at", "run_id"))}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def store_state(url: str) -> dict:
    with psycopg.connect(url) as c:
        rows = {(r[0], r[1]): _strip(list(r[2:])) for r in c.execute(
            "SELECT supplier_key, supplier_item_id, raw_data, ai_data, market_data, content_hash, ai_source_hash,"
            " status FROM source_data").fetchall()}
        events = Counter(json.dumps(_strip(list(r)), sort_keys=True, ensure_ascii=False) for r in c.execute(
            "SELECT supplier_key, supplier_item_id, event_type, payload, snapshot, asset_key, partition_key"
            " FROM source_data_events").fetchall())
        quarantine = sorted(c.execute("SELECT supplier_key, source, reason, record_hash FROM quarantine").fetchall())
        landing = sorted(c.execute(
            "SELECT supplier_key, products, rejects, complete, unchanged FROM supplier_landing").fetchall())
        state = sorted(c.execute("SELECT supplier_key, cursor, source_digest FROM supplier_state").fetchall())
    return {"rows": rows, "events": events, "quarantine": quarantine, "landing": landing, "state": state}


def market_calls(servers: dict) -> dict:
    out = {}
    for m, s in servers.items():
        calls = httpx.get(f"{s.url}/__calls", timeout=10).json()
        out[m] = {"total": calls["total"], "by_route": calls["by_route"], "by_status": calls["by_status"]}
    return out


def step_placement(instance, run_ids: list[str]) -> tuple[dict[str, set], list[str]]:
    """job → the Celery workers its steps ran on (from the executor's engine events), and the
    engine messages seen (for the failure message)."""
    import dagster as dg

    placed: dict[str, set] = {}
    seen: list[str] = []
    for rid in run_ids:
        run = instance.get_run_by_id(rid)
        assert run.status == dg.DagsterRunStatus.SUCCESS, rid
        for e in instance.all_logs(rid, of_type=dg.DagsterEventType.ENGINE_EVENT):
            md = e.dagster_event.engine_event_data.metadata if e.dagster_event.engine_event_data else {}
            seen.append(f"{e.message or e.user_message}: {sorted(md)}")
            if "Celery worker" in md:
                placed.setdefault(run.job_name, set()).add(str(md["Celery worker"].value).split("@")[0])
    return placed, seen


def materializations(instance, run_ids: list[str]) -> Counter:
    out: Counter = Counter()
    for rid in run_ids:
        for e in instance.all_logs(rid):
            de = e.dagster_event
            if de and de.event_type_value == "ASSET_MATERIALIZATION":
                m = de.event_specific_data.materialization
                # previews show store row ids, which depend on which supplier's ingest ran first
                md = {k: v.value for k, v in m.metadata.items()
                      if k not in ("landing_id", "preview") and not k.endswith("_seconds")}
                out[json.dumps([m.asset_key.to_user_string(), m.partition, _strip(md)], sort_keys=True,
                               ensure_ascii=False, default=str)] += 1
    return out


def pickles_under(*homes: Path) -> list[str]:
    """Files an IO manager wrote under DAGSTER_HOME/storage (compute logs are not step outputs)."""
    found = []
    for home in homes:
        for p in (home / "storage").rglob("*") if (home / "storage").exists() else []:
            if p.is_file() and p.suffix not in (".out", ".err", ".complete", ".log"):
                found.append(str(p.relative_to(home)))
    return found


def test_main_path_on_two_celery_workers_matches_in_process(world):
    import dagster as dg

    tmp = world["tmp"]
    sync, publish = plans()
    workers = [start_worker(i, world) for i in (1, 2)]
    try:
        # the reference: the same jobs in one process (while the workers boot)
        base_home = dagster_home(tmp / "baseline" / "dagster_home", world["runs_url"])
        with dg.DagsterInstance.from_config(str(base_home)) as instance:
            instance.add_dynamic_partitions("supplier", list(SUPPLIERS))
        # (alongside the Celery runs: separate store, separate sandboxes, same jobs)
        baseline = launch(world["env_for"]("a", base_home), tmp / "baseline", "in_process", sync + publish)
        deadline = time.monotonic() + 120
        while not all("ready" in log.read_text() for _, log in workers):
            assert time.monotonic() < deadline and all(p.poll() is None for p, _ in workers), \
                "\n".join(log.read_text()[-2000:] for _, log in workers)
            time.sleep(0.5)

        # the same jobs on the workers: two launchers at a time, so both workers are busy; each
        # market is published by one launcher, in the reference's order
        home = dagster_home(tmp / "launcher" / "dagster_home", world["runs_url"])
        env = world["env_for"]("b", home, DROPSHIP_EXECUTOR="celery")
        t0 = time.monotonic()
        celery_runs = finish([launch(env, tmp / "launcher", "celery", sync[:2]),
                              launch(env, tmp / "launcher", "celery", sync[2:])])
        by_market = {m: [p for p in publish if p[1].startswith(m + "|")] for m in MARKETS}
        celery_runs += finish([launch(env, tmp / "launcher", "celery", by_market["smartstore"] + by_market["gmarket"]),
                               launch(env, tmp / "launcher", "celery", by_market["coupang"])])
        t_celery = time.monotonic() - t0
        base_runs = finish([baseline])
    finally:
        for p, _ in workers:
            stop(p)
    print(f"two Celery workers: {len(celery_runs)} runs in {t_celery:.1f}s")

    a, b = store_state(world["urls"]["store_a"]), store_state(world["urls"]["store_b"])
    assert len(a["rows"]) == 24 and len(a["quarantine"]) == 3 and sum(a["events"].values()) > 24 * 3  # ingested, enriched, listed at least
    for part in ("rows", "quarantine", "landing", "state"):
        assert a[part] == b[part], part
    assert a["events"] == b["events"], "\n".join(sorted((a["events"] - b["events"]) + (b["events"] - a["events"])))
    calls_a, calls_b = (market_calls(world["sandboxes"][s][0]) for s in ("a", "b"))
    # equal calls on both sides (the strict markets block some of these bare rows, with reasons)
    assert sum(c["total"] for c in calls_a.values()) > 0 and calls_a == calls_b

    with dg.DagsterInstance.from_config(str(home)) as instance:
        placed, seen = step_placement(instance, celery_runs)
        assert placed == {"product_sync": {"dropship-w1", "dropship-w2"},
                          "publish_listings": {"dropship-w1", "dropship-w2"}}, (placed, seen[:30])
        assert materializations(instance, base_runs) == materializations(instance, celery_runs)
    assert pickles_under(base_home, home, *(tmp / f"worker{i}" / "dagster_home" for i in (1, 2))) == []
