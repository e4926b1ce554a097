-- tipring-store schema version 3: staged firmware rollouts (tipring_acs::rollout), and each
-- device's UTC offset (rollout maintenance windows are in device-local time).

ALTER TABLE devices ADD COLUMN utc_offset_min INTEGER; -- from the Inform's CurrentTime

CREATE TABLE rollouts (
    id         TEXT PRIMARY KEY NOT NULL,  -- the spec's name
    image      TEXT NOT NULL,              -- firmware image id (SHA-256 of the file)
    version    TEXT NOT NULL,              -- the version it installs
    state      TEXT NOT NULL               -- the header's state, for the driver's query
        CHECK (state IN ('running', 'paused', 'halted', 'cancelled', 'done')),
    header     TEXT NOT NULL,              -- JSON: the Rollout without its devices
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX rollouts_state ON rollouts (state);

-- One row per target: its place in the rollout order and how far it got. Reports change
-- only these rows, with a conditional UPDATE (a device only moves forward).
CREATE TABLE rollout_devices (
    rollout    TEXT NOT NULL REFERENCES rollouts (id) ON DELETE CASCADE,
    device     TEXT NOT NULL,              -- no reference: a deleted device stays counted
    position   INTEGER NOT NULL,
    state      TEXT NOT NULL
        CHECK (state IN ('queued', 'started', 'installed', 'confirmed', 'failed')),
    fault_code INTEGER,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (rollout, device)
) WITHOUT ROWID;
CREATE INDEX rollout_devices_device ON rollout_devices (device);
