-- tipring-store schema version 2: task leases, for several provisioner nodes claiming tasks
-- (Store::claim_due_tasks). A claimed task is in_flight with the node that took it and the
-- time its lease runs out; a task whose lease ran out (its node died) is due again.
-- NULL on both: not claimed through a lease (the single-node shell's in_flight tasks).

ALTER TABLE tasks ADD COLUMN claimed_by TEXT;
ALTER TABLE tasks ADD COLUMN lease_until INTEGER;
