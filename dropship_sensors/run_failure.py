"""Run-failure alerts: every failed run is recorded in the `alerts` table, and sent to Sentry
(SENTRY_DSN) and a webhook (DROPSHIP_ALERT_WEBHOOK_URL) when those are set."""

import os

import dagster as dg

from dropship_core.alerts import Alert, deliver
from dropship_resources.store import StoreResource


@dg.run_failure_sensor(
    name="run_failure_alerts",
    monitor_all_code_locations=False,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Records an alert for every failed run, and forwards it to Sentry and a webhook if configured.",
)
def run_failure_alerts(context: dg.RunFailureSensorContext, store: StoreResource):
    run = context.dagster_run
    steps = [e.step_key for e in context.get_step_failure_events()]
    errors = [e.event_specific_data.error.message.strip()[:500] for e in context.get_step_failure_events()
              if e.event_specific_data and e.event_specific_data.error]
    alert = Alert(
        kind="run_failure",
        message=f"{run.job_name} failed" + (f" in {', '.join(steps)}" if steps else "") +
                (f": {errors[0]}" if errors else f": {context.failure_event.message or ''}"),
        run_id=run.run_id,
        job_name=run.job_name,
        partition=run.tags.get("dagster/partition"),
        details={"failed_steps": steps, "errors": errors, "tags": {k: v for k, v in run.tags.items()
                                                                   if not k.startswith("dagster/op_")}},
    ).redacted()
    delivered = deliver(alert, sentry_dsn=os.environ.get("SENTRY_DSN") or None,
                        webhook_url=os.environ.get("DROPSHIP_ALERT_WEBHOOK_URL") or None)
    store.store.record_alert(alert, delivered)
    context.log.info(f"alert recorded for run {run.run_id}; delivered: {delivered or 'store only'}")
