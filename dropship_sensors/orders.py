"""orders_sensor: an order cycle per market every `interval` minutes (off until enabled: it
talks to the real markets). Run keys are per market and time bucket, so a tick evaluated twice
starts nothing twice and a slow run is not stacked with a second one for the same bucket."""


import time

import dagster as dg

from dropship_assets.partitions import market_partitions

ORDERS_INTERVAL_S = 300


@dg.sensor(job_name="orders_job", minimum_interval_seconds=60,
           default_status=dg.DefaultSensorStatus.STOPPED,
           description="Collects, places and ships orders: one orders run per market every 5 minutes.")
def orders_sensor(context: dg.SensorEvaluationContext):
    bucket = int(time.time() // ORDERS_INTERVAL_S)
    if context.cursor == str(bucket):
        return dg.SkipReason("this interval's runs were requested already")
    context.update_cursor(str(bucket))
    return [dg.RunRequest(run_key=f"orders:{m}:{bucket}", partition_key=m)
            for m in market_partitions.get_partition_keys()]
