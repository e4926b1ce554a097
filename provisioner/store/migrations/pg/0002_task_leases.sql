-- tipring-store schema version 2 for PostgreSQL: task leases (see ../0002_task_leases.sql).

ALTER TABLE tasks ADD COLUMN claimed_by TEXT COLLATE "C";
ALTER TABLE tasks ADD COLUMN lease_until BIGINT;
