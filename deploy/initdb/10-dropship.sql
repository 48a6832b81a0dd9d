-- The product store lives in its own database beside Dagster's run/event storage.
CREATE DATABASE dropship;
