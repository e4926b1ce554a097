-- tipring-store schema version 4 (PostgreSQL): see ../0004_console.sql.

ALTER TABLE devices ADD COLUMN lines BIGINT NOT NULL DEFAULT 0 CHECK (lines >= 0);
ALTER TABLE devices ADD COLUMN lines_up BIGINT NOT NULL DEFAULT 0 CHECK (lines_up >= 0);
ALTER TABLE devices ADD COLUMN inform_interval_s BIGINT;
ALTER TABLE devices ADD COLUMN calls_at BIGINT;
ALTER TABLE devices ADD COLUMN calls_mos_good BIGINT NOT NULL DEFAULT 0;
ALTER TABLE devices ADD COLUMN calls_mos_fair BIGINT NOT NULL DEFAULT 0;
ALTER TABLE devices ADD COLUMN calls_mos_poor BIGINT NOT NULL DEFAULT 0;
ALTER TABLE devices ADD COLUMN calls_mos_bad BIGINT NOT NULL DEFAULT 0;
ALTER TABLE devices ADD COLUMN calls_jitter_low BIGINT NOT NULL DEFAULT 0;
ALTER TABLE devices ADD COLUMN calls_jitter_mid BIGINT NOT NULL DEFAULT 0;
ALTER TABLE devices ADD COLUMN calls_jitter_high BIGINT NOT NULL DEFAULT 0;
ALTER TABLE devices ADD COLUMN calls_jitter_severe BIGINT NOT NULL DEFAULT 0;

-- NULLS FIRST as SQLite sorts them, so both engines list never-seen devices first.
CREATE INDEX devices_last_inform ON devices (last_inform NULLS FIRST, id);
CREATE INDEX devices_serial ON devices (serial, id);
