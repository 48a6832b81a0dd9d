"""The executor, chosen by configuration: in-process/multiprocess by default, Celery to spread
steps over worker machines (DROPSHIP_EXECUTOR=celery, broker Redis or RabbitMQ)."""

import os

import dagster as dg


def configured_executor() -> dg.ExecutorDefinition | None:
    kind = os.environ.get("DROPSHIP_EXECUTOR", "").strip().lower()
    if kind in ("", "default", "multiprocess"):
        return None
    if kind == "celery":
        from dagster_celery import celery_executor

        broker = os.environ.get("DROPSHIP_CELERY_BROKER", "redis://127.0.0.1:6379/0")
        backend = os.environ.get("DROPSHIP_CELERY_BACKEND", broker)
        return celery_executor.configured({"broker": broker, "backend": backend}, name="celery")
    raise ValueError(f"DROPSHIP_EXECUTOR must be 'celery' or unset, got {kind!r}")


def analytics_job_for_workers():
    """The analytics job as a reconstructable target: Celery workers rebuild it from this module."""
    from dropship_assets.definitions import defs

    return defs.resolve_job_def("analytics_daily")
