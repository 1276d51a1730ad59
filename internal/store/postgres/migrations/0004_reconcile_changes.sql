-- Version 4: reconciliation, logged registry changes, history read cost.
--
-- A void's void_index is unset (NULL) until its void entry is on the log
-- (store.Reconciliation.SetVoidIndex). Existing rows keep theirs.
ALTER TABLE voids ALTER COLUMN void_index DROP NOT NULL;

-- Small values kept by the server: the reconciler's watermark.
CREATE TABLE meta (
	key   TEXT PRIMARY KEY,
	value BIGINT NOT NULL
);

-- Changes to the registry and the packs, each logged before it took effect.
CREATE TABLE registry_changes (
	log_index       BIGINT PRIMARY KEY,   -- of the registry-change or pack-change entry
	kind            TEXT NOT NULL,
	id              TEXT NOT NULL,
	action          TEXT NOT NULL,        -- put | delete
	digest          TEXT NOT NULL,
	key_fingerprint TEXT NOT NULL DEFAULT '',
	principal       TEXT NOT NULL DEFAULT '',
	body            BYTEA NOT NULL,
	salt            BYTEA NOT NULL,        -- hashed with the private record into the entry's record_hash
	created         TIMESTAMPTZ NOT NULL
);
