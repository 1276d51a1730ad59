-- Version 7: the data holders' approvals (package approval).
--
-- One row per approval request; doc holds the request and its answer
-- (JSON, with the signed statement). status is the stored status:
-- pending, approved or denied; lapsed and expired are computed from doc.
CREATE TABLE approvals (
	id        TEXT PRIMARY KEY,
	requester TEXT NOT NULL,              -- principal id of who asks
	holder    TEXT NOT NULL,              -- principal id of the dataset's holder
	dataset   TEXT NOT NULL,
	status    TEXT NOT NULL,
	created   INTEGER NOT NULL,           -- unix nanoseconds
	version   INTEGER NOT NULL,
	doc       BLOB NOT NULL
);
CREATE INDEX approvals_requester ON approvals(requester, dataset, status);
CREATE INDEX approvals_holder ON approvals(holder, created);
CREATE INDEX approvals_created ON approvals(created, id);
