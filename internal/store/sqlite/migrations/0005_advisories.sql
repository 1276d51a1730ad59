-- Version 5: advisories (GDSI commitment 8). Deployments and the
-- components their SBOMs list, vendors' advisory keys, published
-- advisories, and the outbox of notices.
CREATE TABLE deployments (
	id             TEXT PRIMARY KEY,
	owner          TEXT NOT NULL,
	webhook_url    TEXT NOT NULL,
	webhook_secret TEXT NOT NULL,
	contact_role   TEXT NOT NULL,
	created        INTEGER NOT NULL
);

CREATE TABLE components (
	deployment TEXT NOT NULL REFERENCES deployments(id),
	purl       TEXT NOT NULL,
	pkey       TEXT NOT NULL,             -- purl without version
	version    TEXT NOT NULL,
	cpe        TEXT NOT NULL,
	name       TEXT NOT NULL,
	PRIMARY KEY (deployment, purl, cpe)
);
CREATE INDEX components_by_key ON components(pkey);

CREATE TABLE sboms (
	deployment TEXT NOT NULL REFERENCES deployments(id),
	format     TEXT NOT NULL,
	digest     TEXT NOT NULL,
	components INTEGER NOT NULL,
	created    INTEGER NOT NULL
);

CREATE TABLE vendor_keys (
	vendor     TEXT PRIMARY KEY,
	public_key TEXT NOT NULL,
	log_index  INTEGER NOT NULL,
	created    INTEGER NOT NULL
);

CREATE TABLE advisories (
	akey       TEXT PRIMARY KEY,           -- vendor/id
	vendor     TEXT NOT NULL,
	id         TEXT NOT NULL,
	format     TEXT NOT NULL,
	document   BLOB NOT NULL,
	envelope   BLOB NOT NULL,
	severity   TEXT NOT NULL,
	flags      TEXT NOT NULL,              -- JSON array of lint rule ids
	affected   INTEGER NOT NULL,
	log_index  INTEGER NOT NULL,
	published  INTEGER NOT NULL,
	discovered INTEGER
);

CREATE TABLE notices (
	webhook_id   TEXT PRIMARY KEY,
	advisory_key TEXT NOT NULL REFERENCES advisories(akey),
	deployment   TEXT NOT NULL REFERENCES deployments(id),
	payload      BLOB NOT NULL,
	state        TEXT NOT NULL,            -- pending | delivered | dead
	attempts     INTEGER NOT NULL,
	next_attempt INTEGER NOT NULL,
	last_status  INTEGER NOT NULL,
	created      INTEGER NOT NULL,
	delivered    INTEGER,
	log_index    INTEGER                   -- of its notice entry; NULL until logged
);
CREATE UNIQUE INDEX notices_once ON notices(advisory_key, deployment);
CREATE INDEX notices_due ON notices(state, next_attempt);
