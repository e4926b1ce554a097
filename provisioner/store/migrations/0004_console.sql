-- tipring-store schema version 4: what the console lists and counts across the fleet
-- without reading the parameter cache: each device's voice lines and how many are
-- registered, its periodic inform interval (online/offline), and indexes for sorting by
-- last Inform and finding by serial prefix; its recent calls by quality band.

ALTER TABLE devices ADD COLUMN lines INTEGER NOT NULL DEFAULT 0 CHECK (lines >= 0);
ALTER TABLE devices ADD COLUMN lines_up INTEGER NOT NULL DEFAULT 0 CHECK (lines_up >= 0);
ALTER TABLE devices ADD COLUMN inform_interval_s INTEGER;
-- Its recent calls by quality band, as its call log showed them at calls_at
-- (tipring_acs::calls): summed over the fleet, the distribution of recent calls.
ALTER TABLE devices ADD COLUMN calls_at INTEGER;
ALTER TABLE devices ADD COLUMN calls_mos_good INTEGER NOT NULL DEFAULT 0;
ALTER TABLE devices ADD COLUMN calls_mos_fair INTEGER NOT NULL DEFAULT 0;
ALTER TABLE devices ADD COLUMN calls_mos_poor INTEGER NOT NULL DEFAULT 0;
ALTER TABLE devices ADD COLUMN calls_mos_bad INTEGER NOT NULL DEFAULT 0;
ALTER TABLE devices ADD COLUMN calls_jitter_low INTEGER NOT NULL DEFAULT 0;
ALTER TABLE devices ADD COLUMN calls_jitter_mid INTEGER NOT NULL DEFAULT 0;
ALTER TABLE devices ADD COLUMN calls_jitter_high INTEGER NOT NULL DEFAULT 0;
ALTER TABLE devices ADD COLUMN calls_jitter_severe INTEGER NOT NULL DEFAULT 0;

-- (column, id): the listing's order and its tie-break, so a page is an index walk.
CREATE INDEX devices_last_inform ON devices (last_inform, id);
CREATE INDEX devices_serial ON devices (serial, id);
