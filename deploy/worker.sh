#!/bin/sh
# A Celery worker of the pipeline: writes the executor config from the environment (the broker URL
# may hold a password, so it never sits in a file in the repository) and starts the worker.
#   DROPSHIP_CELERY_BROKER   redis://host:6379/0 or amqp://... (required)
#   DROPSHIP_CELERY_BACKEND  result backend (default: the broker)
#   DROPSHIP_WORKER_NAME     node name (default: dropship-<hostname>)
#   DROPSHIP_WORKER_CONCURRENCY  steps at once on this worker (default: 1)
set -eu
: "${DROPSHIP_CELERY_BROKER:?set DROPSHIP_CELERY_BROKER}"
: "${DAGSTER_HOME:?set DAGSTER_HOME (a directory holding deploy/dagster.production.yaml as dagster.yaml)}"
cfg="$DAGSTER_HOME/celery.yaml"
umask 077
printf 'execution:\n  config:\n    broker: "%s"\n    backend: "%s"\n' \
  "$DROPSHIP_CELERY_BROKER" "${DROPSHIP_CELERY_BACKEND:-$DROPSHIP_CELERY_BROKER}" > "$cfg"
exec dagster-celery worker start -A dagster_celery.app -y "$cfg" \
  -n "${DROPSHIP_WORKER_NAME:-dropship-$(hostname)}@%h" \
  -- --concurrency="${DROPSHIP_WORKER_CONCURRENCY:-1}" --prefetch-multiplier=1
