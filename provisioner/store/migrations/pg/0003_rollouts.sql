-- tipring-store schema version 3 for PostgreSQL: rollouts (see ../0003_rollouts.sql).

ALTER TABLE devices ADD COLUMN utc_offset_min INTEGER;

CREATE TABLE rollouts (
    id         TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    image      TEXT NOT NULL,
    version    TEXT NOT NULL,
    state      TEXT NOT NULL
        CHECK (state IN ('running', 'paused', 'halted', 'cancelled', 'done')),
    header     TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX rollouts_state ON rollouts (state);

CREATE TABLE rollout_devices (
    rollout    TEXT COLLATE "C" NOT NULL REFERENCES rollouts (id) ON DELETE CASCADE,
    device     TEXT COLLATE "C" NOT NULL,
    position   BIGINT NOT NULL,
    state      TEXT NOT NULL
        CHECK (state IN ('queued', 'started', 'installed', 'confirmed', 'failed')),
    fault_code BIGINT,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (rollout, device)
);
CREATE INDEX rollout_devices_device ON rollout_devices (device);
