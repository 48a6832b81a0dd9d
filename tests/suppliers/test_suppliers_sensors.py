"""Inbox and registry sensors, evaluated against an ephemeral Dagster instance and real Postgres."""

from __future__ import annotations

import json

import dagster as dg
import pytest
import yaml

from dropship_assets.partitions import supplier_partitions
from dropship_resources.suppliers_remote import WebhookResource
from dropship_sensors.supplier_registry import build_supplier_registry_sensor, inactive_suppliers, parse_cursor
from dropship_sensors.webhook_inbox import build_webhook_inbox_sensor



@dg.asset(partitions_def=supplier_partitions)
def synced_supplier(context) -> str:
    return context.partition_key


# the same name and partitioning as the pipeline's `supplier_sync` job
supplier_sync_job = dg.define_asset_job("supplier_sync", selection=[synced_supplier])
webhook_inbox_sensor = build_webhook_inbox_sensor(job_name="supplier_sync")


@pytest.fixture
def instance():
    with dg.DagsterInstance.ephemeral() as inst:
        inst.add_dynamic_partitions(supplier_partitions.name, ["ownerclan-main", "domeggook-a"])
        yield inst


@pytest.fixture
def webhook(pg_schema, database_url):
    return WebhookResource(secret="s3cr3t-signing-key", database_url=database_url, db_schema=pg_schema)


def _add_events(pg, events):
    ids = []
    for supplier, eid, item in events:
        ids.append(pg.execute(
            "INSERT INTO webhook_inbox (supplier_key, event_id, event_type, supplier_item_id, payload, signed_at)"
            " VALUES (%s, %s, 'item.changed', %s, %s::jsonb, 0) RETURNING id",
            (supplier, eid, item, json.dumps({"id": eid, "type": "item.changed", "item_id": item}))).fetchone()[0])
    return ids


def _defs(sensor, webhook=None):
    return dg.Definitions(assets=[synced_supplier], jobs=[supplier_sync_job], sensors=[sensor],
                          resources={"webhook": webhook} if webhook is not None else {})


def _tick(sensor, instance, cursor, webhook=None):
    resources = {"webhook": webhook} if webhook is not None else None
    ctx = dg.build_sensor_context(instance=instance, cursor=cursor, resources=resources,
                                  definitions=_defs(sensor, webhook))
    # the sensor daemon evaluates ticks with the instance as the dynamic partitions store
    with dg.partition_loading_context(dynamic_partitions_store=instance):
        return sensor.evaluate_tick(ctx)


def test_inbox_events_become_one_run_per_supplier_partition(pg, instance, webhook):
    ids = _add_events(pg, [("ownerclan-main", "e1", "W1"), ("domeggook-a", "e2", "401"),
                           ("ownerclan-main", "e3", "W2"), ("ownerclan-main", "e4", "W1"),
                           ("not-configured", "e5", "X")])
    defs = _defs(webhook_inbox_sensor, webhook)
    sensor = defs.resolve_sensor_def("webhook_inbox_sensor")
    assert sensor.job_name == "supplier_sync"
    data = _tick(sensor, instance, None, webhook)
    reqs = {r.partition_key: r for r in data.run_requests}
    assert set(reqs) == {"ownerclan-main", "domeggook-a"}
    oc = reqs["ownerclan-main"]
    assert oc.run_key == f"webhook:ownerclan-main:{ids[3]}"
    assert oc.tags["dropship/events"] == "3" and oc.tags["dropship/items"] == "2"
    assert oc.tags["dropship/inbox_first_id"] == str(ids[0]) and oc.tags["dropship/sync_mode"] == "incremental"
    assert reqs["domeggook-a"].run_key == f"webhook:domeggook-a:{ids[1]}"

    # evaluating the same tick again asks for the same runs (same run keys: Dagster starts them once)
    again = _tick(sensor, instance, None, webhook)
    assert sorted(r.run_key for r in again.run_requests) == sorted(r.run_key for r in data.run_requests)

    quiet = _tick(sensor, instance, data.cursor, webhook)
    assert quiet.run_requests == [] and "no webhook events" in quiet.skip_message

    more = _add_events(pg, [("domeggook-a", "e6", "402")])
    nxt = _tick(sensor, instance, data.cursor, webhook)
    assert [(r.partition_key, r.run_key) for r in nxt.run_requests] == [("domeggook-a", f"webhook:domeggook-a:{more[0]}")]
    assert _tick(sensor, instance, nxt.cursor, webhook).run_requests == []

    # the requested partition runs the job
    result = defs.resolve_job_def("supplier_sync").execute_in_process(
        partition_key=oc.partition_key, instance=instance, tags=oc.tags)
    assert result.success and result.output_for_node("synced_supplier") == "ownerclan-main"


def test_inbox_sensor_batches(pg, instance, webhook):
    ids = _add_events(pg, [("ownerclan-main", f"b{i}", f"W{i}") for i in range(5)])
    sensor = build_webhook_inbox_sensor(job_name="supplier_sync", batch_size=2)
    cursor, seen = None, []
    for _ in range(5):
        data = _tick(sensor, instance, cursor, webhook)
        if not data.run_requests:
            break
        seen += [r.run_key for r in data.run_requests]
        cursor = data.cursor
    assert seen == [f"webhook:ownerclan-main:{ids[1]}", f"webhook:ownerclan-main:{ids[3]}",
                    f"webhook:ownerclan-main:{ids[4]}"]
    assert _tick(sensor, instance, cursor, webhook).run_requests == []


def _write(path, accounts):
    path.write_text(yaml.safe_dump({"suppliers": accounts}, allow_unicode=True), encoding="utf-8")


def test_registry_adds_new_keys_and_keeps_removed_ones(tmp_path):
    cfg = tmp_path / "suppliers.yaml"
    _write(cfg, [{"key": "ownerclan-main", "kind": "ownerclan"},
                 {"key": "domeggook-a", "kind": "domeggook", "seller_id": "dome_seller1"},
                 {"key": "push-acme", "kind": "webhook", "enabled": False}])
    sensor = build_supplier_registry_sensor(cfg)
    with dg.DagsterInstance.ephemeral() as instance:
        first = _tick(sensor, instance, None)
        [req] = first.dynamic_partitions_requests
        assert isinstance(req, dg.AddDynamicPartitionsRequest)
        assert req.partitions_def_name == "supplier"
        assert list(req.partition_keys) == ["ownerclan-main", "domeggook-a", "push-acme"]
        assert parse_cursor(first.cursor)["inactive"] == ["push-acme"]
        instance.add_dynamic_partitions("supplier", list(req.partition_keys))  # what the daemon does

        assert "match" in _tick(sensor, instance, first.cursor).skip_message

        _write(cfg, [{"key": "ownerclan-main", "kind": "ownerclan"},
                     {"key": "excel-acme", "kind": "excel", "path": "acme.xlsx"}])
        second = _tick(sensor, instance, first.cursor)
        [req2] = second.dynamic_partitions_requests
        assert list(req2.partition_keys) == ["excel-acme"]  # only adds, never deletes
        state = parse_cursor(second.cursor)
        assert state["removed"] == ["domeggook-a", "push-acme"]
        assert inactive_suppliers(second.cursor) == {"domeggook-a", "push-acme"}
        assert state["active"] == ["excel-acme", "ownerclan-main"]
        instance.add_dynamic_partitions("supplier", list(req2.partition_keys))
        assert set(instance.get_dynamic_partitions("supplier")) == {
            "ownerclan-main", "domeggook-a", "push-acme", "excel-acme"}

        # a broken suppliers.yaml changes nothing
        cfg.write_text("suppliers: [{key: 'Bad Key', kind: ownerclan}]", encoding="utf-8")
        broken = _tick(sensor, instance, second.cursor)
        assert broken.dynamic_partitions_requests == [] and "not usable" in broken.skip_message


def test_signed_delivery_to_run_request_end_to_end(pg, pg_schema, instance, webhook):
    """Supplier -> receiver (HTTP) -> webhook_inbox (Postgres) -> sensor -> RunRequest, redelivery once."""
    import time

    import httpx

    from dropship_core.serve import ServerThread
    from dropship_core.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign

    body = json.dumps({"id": "evt-e2e", "type": "item.stock_changed", "item_id": "W000042",
                       "data": {"stock": 0}}).encode()
    with ServerThread(webhook.app(suppliers={"ownerclan-main"})) as srv, httpx.Client(base_url=srv.url) as http:
        for _ in range(2):  # delivered twice
            ts = int(time.time())
            r = http.post("/webhooks/ownerclan-main", content=body,
                          headers={TIMESTAMP_HEADER: str(ts), SIGNATURE_HEADER: sign(webhook.secret, ts, body)})
            assert r.status_code == 202
    data = _tick(webhook_inbox_sensor, instance, None, webhook)
    [req] = data.run_requests
    assert req.partition_key == "ownerclan-main" and req.tags["dropship/events"] == "1"


def test_definitions_with_the_remote_supplier_parts_load():
    from dropship_resources.suppliers_remote import WebhookResource
    from dropship_sensors.supplier_registry import supplier_registry_sensor

    defs = dg.Definitions(assets=[synced_supplier], jobs=[supplier_sync_job],
                          sensors=[webhook_inbox_sensor, supplier_registry_sensor],
                          resources={"webhook": WebhookResource()})
    dg.Definitions.validate_loadable(defs)
    assert defs.resolve_sensor_def("supplier_registry_sensor").name == "supplier_registry_sensor"
