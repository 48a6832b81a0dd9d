"""Run-failure alerts: every failed run is recorded in the `alerts` table and sent to a webhook
(DROPSHIP_ALERT_WEBHOOK_URL) when one is set; with SENTRY_DSN, each failed step becomes one
Sentry event (sentry-sdk, scrubbed) tagged with run id, job, partition and asset, or the run
failure itself when no step failed."""

import dagster as dg

from dropship_core import config, error_reporting
from dropship_core.alerts import Alert, deliver
from dropship_resources.store import StoreResource


def _root(err):
    """The user's exception under Dagster's wrapper (DagsterExecutionStepExecutionError)."""
    while err is not None and err.cause is not None and (err.cls_name or "").startswith("Dagster"):
        err = err.cause
    return err


def _step_reports(context: dg.RunFailureSensorContext) -> list[dict]:
    out = []
    for e in context.get_step_failure_events():
        err = _root(e.event_specific_data.error if e.event_specific_data else None)
        out.append({"step": e.step_key, "asset": (e.step_key or "").replace("__", "/"),
                    "message": (err.message.strip()[:500] if err else e.message or ""),
                    "error_class": err.cls_name if err else None,
                    "stack": "".join(err.stack)[-6000:] if err else ""})
    return out


@dg.run_failure_sensor(
    name="run_failure_alerts",
    monitor_all_code_locations=False,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Records an alert for every failed run, and forwards it to Sentry and a webhook if configured.",
)
def run_failure_alerts(context: dg.RunFailureSensorContext, store: StoreResource):
    error_reporting.init_sentry("code_location")
    run = context.dagster_run
    steps = _step_reports(context)
    if store.store.alert_recorded("run_failure", run.run_id):
        context.log.info(f"alert for run {run.run_id} already recorded")
        return
    first = steps[0]["message"] if steps else (context.failure_event.message or "")
    partition = run.tags.get("dagster/partition")
    user_tags = {k: v for k, v in run.tags.items() if not k.startswith("dagster/op_")}
    alert = Alert(
        kind="run_failure",
        message=f"{run.job_name} failed" + (f" in {', '.join(s['step'] for s in steps)}" if steps else "")
        + f": {first}",
        run_id=run.run_id, job_name=run.job_name, partition=partition,
        details={"failed_steps": [s["step"] for s in steps], "errors": [s["message"] for s in steps],
                 "tags": user_tags},
    ).redacted()
    delivered = deliver(alert, webhook_url=config.get("DROPSHIP_ALERT_WEBHOOK_URL"), sentry=not steps)
    if steps and error_reporting.enabled():
        sent = [error_reporting.report_failure(
            f"{run.job_name} step {s['step']} failed: {s['message']}",
            tags={"kind": "step_failure", "run_id": run.run_id, "job": run.job_name, "partition": partition,
                  "asset": s["asset"], "step": s["step"], "error_class": s["error_class"]},
            extra={"stack": s["stack"], "run_tags": user_tags},
            fingerprint=["step_failure", run.job_name, s["step"], s["error_class"] or ""]) for s in steps]
        delivered["sentry"] = "ok" if all(sent) else "error: not sent"
    error_reporting.flush()
    store.store.record_alert(alert, delivered)
    context.log.info(f"alert recorded for run {run.run_id}; delivered: {delivered or 'store only'}")
