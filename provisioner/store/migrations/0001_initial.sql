-- tipring-store schema version 1: every table of the provisioner's domain
-- (tipring_acs::model). Applied in one transaction by the migration runner, which records
-- the version in `schema_version`. Never edit a released step: add the next one.
--
-- Conventions: times are Unix seconds (INTEGER); enums are their serde names (TEXT, with a
-- CHECK); lists and maps are JSON text; foreign keys are enforced (PRAGMA foreign_keys=ON on
-- every connection).

CREATE TABLE sites (
    name        TEXT PRIMARY KEY NOT NULL,
    description TEXT NOT NULL,
    variables   TEXT NOT NULL DEFAULT '{}'           -- JSON object of strings
) WITHOUT ROWID;

CREATE TABLE devices (
    id                     TEXT PRIMARY KEY NOT NULL,  -- DeviceKey::id()
    oui                    TEXT NOT NULL,
    product_class          TEXT NOT NULL,
    serial                 TEXT NOT NULL,
    enrollment             TEXT NOT NULL
        CHECK (enrollment IN ('pending', 'approved', 'rejected')),
    site                   TEXT REFERENCES sites (name) ON DELETE RESTRICT,
    tags                   TEXT NOT NULL DEFAULT '[]', -- JSON array of strings
    manufacturer           TEXT NOT NULL,
    model                  TEXT NOT NULL,
    software_version       TEXT NOT NULL,
    hardware_version       TEXT NOT NULL,
    provisioning_code      TEXT NOT NULL,
    root                   TEXT NOT NULL
        CHECK (root IN ('device', 'internet_gateway_device', 'unknown')),
    connection_request_url TEXT,
    last_address           TEXT,
    first_seen             INTEGER NOT NULL,
    last_inform            INTEGER,
    last_boot              INTEGER,
    provisioned_digest     TEXT,
    provisioned_at         INTEGER,
    cert_sha256            TEXT,
    open_faults            INTEGER NOT NULL DEFAULT 0 CHECK (open_faults >= 0)
) WITHOUT ROWID;

CREATE INDEX devices_site ON devices (site);
CREATE INDEX devices_enrollment ON devices (enrollment);
CREATE INDEX devices_model ON devices (model);
CREATE INDEX devices_software_version ON devices (software_version);

CREATE TABLE parameters (
    device   TEXT NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    name     TEXT NOT NULL,
    value    TEXT NOT NULL,
    xsd_type TEXT NOT NULL,
    writable INTEGER CHECK (writable IN (0, 1)),       -- NULL: not known
    seen_at  INTEGER NOT NULL,
    PRIMARY KEY (device, name)
) WITHOUT ROWID;

-- AUTOINCREMENT: a task id is never reused, even after its device (and so the task) is
-- deleted, so an id an API client holds never names a different task later.
CREATE TABLE tasks (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    device          TEXT NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    kind            TEXT NOT NULL,                     -- JSON TaskKind
    state           TEXT NOT NULL
        CHECK (state IN ('queued', 'in_flight', 'done', 'retrying', 'failed', 'cancelled')),
    attempts        INTEGER NOT NULL CHECK (attempts >= 0),
    next_attempt_at INTEGER NOT NULL,
    fault           TEXT,                              -- JSON TaskFault
    result          TEXT,                              -- JSON
    created_at      INTEGER NOT NULL,
    created_by      TEXT NOT NULL,
    updated_at      INTEGER NOT NULL
);

CREATE INDEX tasks_due ON tasks (device, state, next_attempt_at);
CREATE INDEX tasks_state ON tasks (state);

CREATE TABLE profiles (
    name      TEXT PRIMARY KEY NOT NULL,
    priority  INTEGER NOT NULL,
    model     TEXT,
    site      TEXT,
    tags      TEXT NOT NULL DEFAULT '[]',              -- JSON array of strings
    template  TEXT NOT NULL,
    variables TEXT NOT NULL DEFAULT '{}',              -- JSON object of strings
    drift     TEXT NOT NULL CHECK (drift IN ('correct', 'report'))
) WITHOUT ROWID;

-- Empty oui / product_class: any.
CREATE TABLE preregistrations (
    serial                TEXT NOT NULL,
    oui                   TEXT NOT NULL,
    product_class         TEXT NOT NULL,
    site                  TEXT,
    tags                  TEXT NOT NULL DEFAULT '[]',  -- JSON array of strings
    initial_secret_sha256 TEXT,
    PRIMARY KEY (serial, oui, product_class)
) WITHOUT ROWID;

CREATE INDEX preregistrations_site ON preregistrations (site);

CREATE TABLE claims (
    code_sha256 TEXT PRIMARY KEY NOT NULL,
    site        TEXT REFERENCES sites (name) ON DELETE RESTRICT,
    tags        TEXT NOT NULL DEFAULT '[]',            -- JSON array of strings
    expires_at  INTEGER NOT NULL,
    used_by     TEXT,                                  -- a device id; kept when it is deleted
    created_at  INTEGER NOT NULL,
    created_by  TEXT NOT NULL
) WITHOUT ROWID;

CREATE INDEX claims_site ON claims (site);
CREATE INDEX claims_created_at ON claims (created_at);

CREATE TABLE secrets (
    device TEXT NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    name   TEXT NOT NULL,
    sealed BLOB NOT NULL,                              -- Sealer::seal output
    PRIMARY KEY (device, name)
) WITHOUT ROWID;

CREATE TABLE tokens (
    name         TEXT PRIMARY KEY NOT NULL,
    role         TEXT NOT NULL CHECK (role IN ('read_only', 'operator', 'admin')),
    token_sha256 TEXT NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    revoked_at   INTEGER
) WITHOUT ROWID;

CREATE TABLE audit (
    id     INTEGER PRIMARY KEY AUTOINCREMENT,
    at     INTEGER NOT NULL,
    actor  TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT 'null'                -- JSON
);

CREATE INDEX audit_actor ON audit (actor);
CREATE INDEX audit_target ON audit (target);
CREATE INDEX audit_at ON audit (at);
