-- Accord store, version 1 (SQLite). Times are Unix nanoseconds (UTC);
-- history days are whole days since the Unix epoch (store.DayNumber).
CREATE TABLE datasets (
	id      TEXT PRIMARY KEY,
	labels  TEXT NOT NULL,            -- JSON of store.Dataset without id/times
	created INTEGER NOT NULL,
	updated INTEGER NOT NULL
);

CREATE TABLE registry_overrides (
	kind    TEXT NOT NULL,
	id      TEXT NOT NULL,
	body    TEXT NOT NULL,            -- JSON document as submitted
	updated INTEGER NOT NULL,
	PRIMARY KEY (kind, id)
);

CREATE TABLE principals (
	id           TEXT PRIMARY KEY,
	name         TEXT NOT NULL DEFAULT '',
	kind         TEXT NOT NULL,
	role         TEXT NOT NULL DEFAULT '',
	jurisdiction TEXT NOT NULL,
	may_act_for  TEXT NOT NULL DEFAULT '[]', -- JSON array of principal ids
	created      INTEGER NOT NULL
);

CREATE TABLE tokens (
	id           TEXT PRIMARY KEY,
	hash         BLOB NOT NULL UNIQUE,      -- SHA-256 of the secret
	principal_id TEXT NOT NULL REFERENCES principals(id),
	role         TEXT NOT NULL,
	created      INTEGER NOT NULL,
	expires      INTEGER,                   -- NULL: never
	revoked      INTEGER                    -- NULL: not revoked
);
CREATE INDEX tokens_principal ON tokens(principal_id);

CREATE TABLE decisions (
	id           TEXT PRIMARY KEY,
	log_index    INTEGER NOT NULL UNIQUE,
	principal_id TEXT NOT NULL,
	outcome      TEXT NOT NULL,
	private      BLOB NOT NULL,
	salt         BLOB NOT NULL,
	created      INTEGER NOT NULL
);

CREATE TABLE voids (
	log_index   INTEGER PRIMARY KEY,
	void_index  INTEGER NOT NULL,
	decision_id TEXT NOT NULL,
	created     INTEGER NOT NULL
);

CREATE TABLE history (
	requesting_state TEXT NOT NULL,
	counterparty     TEXT NOT NULL,
	subject_state    TEXT NOT NULL,
	category         TEXT NOT NULL,
	day              INTEGER NOT NULL,
	subjects         INTEGER NOT NULL DEFAULT 0,
	devices          INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (requesting_state, counterparty, subject_state, category, day)
);
CREATE INDEX history_day ON history(requesting_state, day);
