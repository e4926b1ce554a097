-- tipring-store schema version 4: what the console lists and counts across the fleet
-- without reading the parameter cache: each device's voice lines and how many are
-- registered, its periodic inform interval (online/offline), and indexes for sorting by
-- last Inform and finding by serial prefix.

ALTER TABLE devices ADD COLUMN lines INTEGER NOT NULL DEFAULT 0 CHECK (lines >= 0);
ALTER TABLE devices ADD COLUMN lines_up INTEGER NOT NULL DEFAULT 0 CHECK (lines_up >= 0);
ALTER TABLE devices ADD COLUMN inform_interval_s INTEGER;

-- (column, id): the listing's order and its tie-break, so a page is an index walk.
CREATE INDEX devices_last_inform ON devices (last_inform, id);
CREATE INDEX devices_serial ON devices (serial, id);
