-- Accord store, version 1 (PostgreSQL). Times are timestamptz;
-- history days are whole days since the Unix epoch (store.DayNumber).
CREATE TABLE datasets (
	id      TEXT PRIMARY KEY,
	labels  JSONB NOT NULL,           -- JSON of store.Dataset without id/times
	created TIMESTAMPTZ NOT NULL,
	updated TIMESTAMPTZ NOT NULL
);

CREATE TABLE registry_overrides (
	kind    TEXT NOT NULL,
	id      TEXT NOT NULL,
	body    TEXT NOT NULL,            -- JSON document as submitted
	updated TIMESTAMPTZ NOT NULL,
	PRIMARY KEY (kind, id)
);

CREATE TABLE principals (
	id           TEXT PRIMARY KEY,
	name         TEXT NOT NULL DEFAULT '',
	kind         TEXT NOT NULL,
	role         TEXT NOT NULL DEFAULT '',
	jurisdiction TEXT NOT NULL,
	may_act_for  TEXT NOT NULL DEFAULT '[]', -- JSON array of principal ids
	created      TIMESTAMPTZ NOT NULL
);

CREATE TABLE tokens (
	id           TEXT PRIMARY KEY,
	hash         BYTEA NOT NULL UNIQUE,      -- SHA-256 of the secret
	principal_id TEXT NOT NULL REFERENCES principals(id),
	role         TEXT NOT NULL,
	created      TIMESTAMPTZ NOT NULL,
	expires      TIMESTAMPTZ,                   -- NULL: never
	revoked      TIMESTAMPTZ                    -- NULL: not revoked
);
CREATE INDEX tokens_principal ON tokens(principal_id);

CREATE TABLE decisions (
	id           TEXT PRIMARY KEY,
	log_index    BIGINT NOT NULL UNIQUE,
	principal_id TEXT NOT NULL,
	outcome      TEXT NOT NULL,
	private      BYTEA NOT NULL,
	salt         BYTEA NOT NULL,
	created      TIMESTAMPTZ NOT NULL
);

CREATE TABLE voids (
	log_index   BIGINT PRIMARY KEY,
	void_index  BIGINT NOT NULL,
	decision_id TEXT NOT NULL,
	created     TIMESTAMPTZ NOT NULL
);

CREATE TABLE history (
	requesting_state TEXT NOT NULL,
	counterparty     TEXT NOT NULL,
	subject_state    TEXT NOT NULL,
	category         TEXT NOT NULL,
	day              INTEGER NOT NULL,
	shard            SMALLINT NOT NULL DEFAULT 0, -- spreads hot counters over rows; reads sum the shards
	subjects         BIGINT NOT NULL DEFAULT 0,
	devices          BIGINT NOT NULL DEFAULT 0,
	PRIMARY KEY (requesting_state, counterparty, subject_state, category, day, shard)
);
CREATE INDEX history_day ON history(requesting_state, day);
