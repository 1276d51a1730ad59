-- Version 6: the API as a contract.
--
-- Idempotency-Key claims and the first response each answered, per
-- principal (store.Idempotency). status 0: the request is in progress.
CREATE TABLE idempotency_keys (
	principal   TEXT NOT NULL,
	key         TEXT NOT NULL,
	fingerprint BYTEA NOT NULL,           -- SHA-256 of method, path and body
	status      INTEGER NOT NULL DEFAULT 0,
	header      BYTEA NOT NULL,
	body        BYTEA NOT NULL,
	created     TIMESTAMPTZ NOT NULL,     -- claim time
	PRIMARY KEY (principal, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys(created);
