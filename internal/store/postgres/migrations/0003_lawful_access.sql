-- Version 3: lawful access. MLA cases (mla.Case as JSON, with its version
-- for optimistic concurrency) and the signed statements (authorizations,
-- revocations) lodged with the server, keyed by the SHA-256 of their
-- payload.
CREATE TABLE mla_cases (
	id      TEXT PRIMARY KEY,
	version BIGINT NOT NULL,
	body    TEXT NOT NULL,            -- JSON of mla.Case
	updated TIMESTAMPTZ NOT NULL
);

CREATE TABLE statements (
	digest       TEXT PRIMARY KEY,    -- hex SHA-256 of the DSSE payload
	id           TEXT NOT NULL,       -- the statement's id
	type         TEXT NOT NULL,       -- authorization | revocation
	issuer       TEXT NOT NULL,
	jurisdiction TEXT NOT NULL,
	envelope     TEXT NOT NULL,       -- the DSSE envelope as lodged (JSON): the private record
	salt         BYTEA NOT NULL,        -- its salt: the log entry's record_hash is SHA-256(salt || envelope)
	log_index    BIGINT NOT NULL,
	created      TIMESTAMPTZ NOT NULL
);
CREATE INDEX statements_type ON statements(type, created);
