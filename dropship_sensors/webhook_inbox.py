"""Webhook inbox sensor: new supplier push events -> incremental sync runs of the affected
`supplier` partitions.

The cursor follows commit order (`dropship_core.suppliers.inbox_cursor`), so an event whose
transaction commits after a later one is still handed out. Each tick reads at most `batch_size` new events and
asks for one run per supplier, keyed `webhook:<supplier>:<last inbox id>`, so a tick evaluated
twice never starts a second run for the same events.
"""


import dagster as dg

from dropship_assets.partitions import supplier_partitions
from dropship_resources.suppliers_remote import WebhookResource



def build_webhook_inbox_sensor(job_name: str = "product_sync", *, name: str = "webhook_inbox_sensor",
                               batch_size: int = 500, minimum_interval_seconds: int = 30,
                               default_status: dg.DefaultSensorStatus = dg.DefaultSensorStatus.RUNNING,
                               ) -> dg.SensorDefinition:
    @dg.sensor(name=name, job_name=job_name, minimum_interval_seconds=minimum_interval_seconds,
               default_status=default_status,
               description="Turns supplier webhook events in the inbox into incremental syncs of their "
                           "supplier partitions (batched; run keys make each event batch run once).")
    def _sensor(context: dg.SensorEvaluationContext, webhook: WebhookResource):
        rows, next_cursor = webhook.events_since(context.cursor, batch_size)
        if not rows:
            # the horizon may still advance: keep the new cursor so the done-list stays short
            return dg.SensorResult(skip_reason="no webhook events since the last tick", cursor=next_cursor)
        known = set(context.instance.get_dynamic_partitions(supplier_partitions.name))
        by_supplier: dict[str, list[tuple]] = {}
        for row in sorted(rows):
            by_supplier.setdefault(row[1], []).append(row)
        requests = []
        for supplier_key, events in sorted(by_supplier.items()):
            if supplier_key not in known:
                context.log.warning(f"{len(events)} webhook event(s) for {supplier_key!r}, which is not a "
                                    "supplier partition; add it to suppliers.yaml")
                continue
            first_id, last_id = events[0][0], events[-1][0]
            requests.append(dg.RunRequest(
                run_key=f"webhook:{supplier_key}:{last_id}",
                partition_key=supplier_key,
                tags={"dropship/trigger": "webhook", "dropship/sync_mode": "incremental",
                      "dropship/inbox_first_id": str(first_id), "dropship/inbox_last_id": str(last_id),
                      "dropship/events": str(len(events)),
                      "dropship/items": str(len({e[3] for e in events}))}))
        return dg.SensorResult(run_requests=requests, cursor=next_cursor)

    return _sensor
