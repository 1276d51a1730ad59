-- Version 4: reconciliation, logged registry changes, history read cost.
--
-- A void's void_index is unset (NULL) until its void entry is on the log
-- (store.Reconciliation.SetVoidIndex). SQLite cannot drop NOT NULL in
-- place: the table is rebuilt, its rows copied unchanged.
CREATE TABLE voids_v4 (
	log_index   INTEGER PRIMARY KEY,
	void_index  INTEGER,                  -- NULL: void entry not on the log yet
	decision_id TEXT NOT NULL,
	created     INTEGER NOT NULL
);
INSERT INTO voids_v4(log_index, void_index, decision_id, created) SELECT log_index, void_index, decision_id, created FROM voids;
DROP TABLE voids;
ALTER TABLE voids_v4 RENAME TO voids;

-- Small values kept by the server: the reconciler's watermark.
CREATE TABLE meta (
	key   TEXT PRIMARY KEY,
	value INTEGER NOT NULL
);

-- Changes to the registry and the packs, each logged before it took effect.
CREATE TABLE registry_changes (
	log_index       INTEGER PRIMARY KEY,  -- of the registry-change or pack-change entry
	kind            TEXT NOT NULL,
	id              TEXT NOT NULL,
	action          TEXT NOT NULL,        -- put | delete
	digest          TEXT NOT NULL,
	key_fingerprint TEXT NOT NULL DEFAULT '',
	principal       TEXT NOT NULL DEFAULT '',
	body            BLOB NOT NULL,
	salt            BLOB NOT NULL,        -- hashed with the private record into the entry's record_hash
	created         INTEGER NOT NULL
);

