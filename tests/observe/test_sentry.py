"""Errors reach Sentry through sentry-sdk, tagged, with no secret and no buyer datum anywhere."""

import json
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from dropship_core import error_reporting
from dropship_core.serve import ServerThread
from dropship_resources.store import StoreResource
from dropship_sensors.run_failure import run_failure_alerts
from tests.observe.sentry_capture import SentryCapture

ROOT = Path(__file__).resolve().parents[2]
SECRETS = {"COUPANG_ACCESS_KEY": "AK-live-7f3e9b21", "COUPANG_SECRET_KEY": "sk-very-secret-0042",
           "OWNERCLAN_PASSWORD": "hunter2-ownerclan", "WEBHOOK_SECRET": "whsec-bd91c4"}
BUYER = ["홍길동", "0502-1234-5678", "010-9876-5432", "buyer@example.com", "테헤란로 427", "P123456789012",
         "현관 비밀번호 1234#"]


class OrderPushRejected(Exception):
    pass


@dg.asset(partitions_def=dg.StaticPartitionsDefinition(["coupang"]), group_name="orders")
def order_forwarding(context: dg.AssetExecutionContext) -> None:
    """Fails the way a marketplace answer echoing the request would: buyer data and the signed
    header in the error text, the order in a local variable."""
    order = {"orderId": 9001, "orderer": {"name": "홍길동", "email": "buyer@example.com"},
             "receiver": {"name": "홍길동", "safeNumber": "0502-1234-5678", "addr1": "서울 강남구 테헤란로 427",
                          "postCode": "06159"}, "shippingMemo": "현관 비밀번호 1234#",
             "overseaShippingInfoDto": {"personalCustomsClearanceCode": "P123456789012"}}
    echoed = {"Authorization": f"CEA algorithm=HmacSHA256, access-key={os.environ['COUPANG_ACCESS_KEY']}, "
                               f"signed-date=20261201T000000Z, signature=abc123def",
              "secret": os.environ["COUPANG_SECRET_KEY"]}
    raise OrderPushRejected(f"supplier refused order {order['orderId']}: {order} (request echoed: {echoed}); "
                            f"call 010-9876-5432")


@pytest.fixture
def sentry_server(monkeypatch):
    cap = SentryCapture()
    with ServerThread(cap.app()) as srv:
        monkeypatch.setenv("SENTRY_DSN", f"http://pubkey123@127.0.0.1:{srv.port}/42")
        monkeypatch.setenv("SENTRY_ENVIRONMENT", "test")
        for k, v in SECRETS.items():
            monkeypatch.setenv(k, v)
        yield cap, srv
        error_reporting.shutdown()


def assert_clean(raw: bytes) -> None:
    text = raw.decode("utf-8", "replace")
    for s in [*SECRETS.values(), *BUYER, "abc123def"]:
        assert s not in text, s
    # also not as JSON-escaped unicode
    for s in BUYER:
        assert json.dumps(s)[1:-1] not in text, s


def test_failing_job_reaches_sentry_tagged_and_scrubbed(db_url, sentry_server):
    cap, _srv = sentry_server
    defs = dg.Definitions(assets=[order_forwarding],
                          jobs=[dg.define_asset_job("order_forwarding_job", selection=[order_forwarding])])
    job = defs.resolve_job_def("order_forwarding_job")
    instance = dg.DagsterInstance.ephemeral()
    res = job.execute_in_process(partition_key="coupang", instance=instance, raise_on_error=False)
    assert not res.success
    failure = [e for e in res.all_events if e.event_type_value == "PIPELINE_FAILURE"][0]
    store = StoreResource(database_url=db_url)
    with dg.build_run_status_sensor_context(
            sensor_name="run_failure_alerts", dagster_event=failure, dagster_instance=instance,
            dagster_run=res.dagster_run, resources={"store": store}).for_run_failure() as ctx:
        run_failure_alerts(ctx)
    error_reporting.flush()
    envelopes = [c for c in cap.calls if c[0] == "/api/42/envelope/"]
    assert envelopes and "sentry_key=pubkey123" in envelopes[0][1]["x-sentry-auth"]
    events = cap.events
    assert len(events) == 1
    ev = events[0]
    tags = ev["tags"]
    assert tags["run_id"] == res.run_id and tags["job"] == "order_forwarding_job"
    assert tags["partition"] == "coupang" and tags["asset"] == "order_forwarding"
    assert tags["error_class"] == "OrderPushRejected" and tags["component"] == "code_location"
    assert ev["environment"] == "test" and ev["release"].startswith("dropship-pipeline@")
    assert "order_forwarding_job step order_forwarding failed" in json.dumps(ev, ensure_ascii=False)
    for _path, _h, body in cap.calls:
        assert_clean(body)
    # the alert row says where it went, scrubbed the same way
    with store.connect() as c:
        message, delivered = c.execute("SELECT message, delivered FROM alerts").fetchone()
    assert delivered == {"sentry": "ok"}
    assert "sk-very-secret-0042" not in message


def test_unhandled_exception_in_a_cli_process_is_reported_scrubbed(sentry_server):
    cap, srv = sentry_server
    code = ("from dropship_core.error_reporting import init_sentry\n"
            "init_sentry('cli')\n"
            "import os\n"
            "def push(order):\n"
            "    raise RuntimeError('coupang rejected ' + repr(order) + ' key=' + os.environ['COUPANG_SECRET_KEY'])\n"
            "push({'receiver': {'name': '홍길동', 'safeNumber': '0502-1234-5678'}, 'orderer': "
            "{'email': 'buyer@example.com'}, 'shippingMemo': '현관 비밀번호 1234#'})\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    p = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert p.returncode == 1 and "RuntimeError" in p.stderr
    events = cap.events
    assert len(events) == 1
    ev = events[0]
    assert ev["tags"]["component"] == "cli"
    assert ev["exception"]["values"][-1]["type"] == "RuntimeError"
    # the frame's local variables were sent (sentry's default), scrubbed
    frames = ev["exception"]["values"][-1]["stacktrace"]["frames"]
    assert any("order" in (f.get("vars") or {}) for f in frames)
    for _path, _h, body in cap.calls:
        assert_clean(body)


def test_no_dsn_no_reporting(monkeypatch):
    monkeypatch.delenv("SENTRY_DSN", raising=False)
    error_reporting.shutdown()
    assert error_reporting.init_sentry("cli") is False
    assert error_reporting.report_failure("x", tags={}) is None
