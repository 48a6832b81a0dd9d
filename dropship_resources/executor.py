"""The executor, chosen by configuration: in-process/multiprocess by default, Celery to spread
steps over worker machines (DROPSHIP_EXECUTOR=celery, broker Redis or RabbitMQ).

Read when the code location loads: Dagster fixes a job's executor at definition time, so this is
the one setting that cannot wait for run time."""

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
