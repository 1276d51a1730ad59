-- Version 6: the API as a contract.
--
-- Idempotency-Key claims and the first response each answered, per
-- principal (store.Idempotency). status 0: the request is in progress.
CREATE TABLE idempotency_keys (
	principal   TEXT NOT NULL,
	key         TEXT NOT NULL,
	fingerprint BLOB NOT NULL,            -- SHA-256 of method, path and body
	status      INTEGER NOT NULL DEFAULT 0,
	header      BLOB NOT NULL,
	body        BLOB NOT NULL,
	created     INTEGER NOT NULL,         -- claim time, unix nanoseconds
	PRIMARY KEY (principal, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys(created);
