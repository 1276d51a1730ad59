-- Version 8: the private records behind the log's mla-transition entries
-- (store.MLARecords), moved from each server's DIR/mla/records.jsonl into
-- the database so that replicas share them.
CREATE TABLE mla_records (
	log_index INTEGER PRIMARY KEY,   -- of the mla-transition entry
	case_id   TEXT NOT NULL,
	entry     BLOB NOT NULL,         -- the public entry as logged (canonical JSON)
	record    BLOB NOT NULL,         -- the private record, exactly the bytes hashed
	salt      BLOB NOT NULL,         -- record_hash = SHA-256(salt || record)
	created   INTEGER NOT NULL       -- unix nanoseconds, the entry's time
);
CREATE INDEX mla_records_case ON mla_records(case_id, log_index);
