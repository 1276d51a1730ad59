-- Version 9: counters by scope, rolled up (store/history.go).
--
-- A count is kept per scope (state: the acting state; exporter-importer:
-- a U.S. person and its foreign counterparty; exporter: a Chinese
-- exporter, its days in China Standard Time), key, subject state (or '*',
-- every state), category prefix ('' is every category) and day. A window
-- sum a pack asks for is one range of the primary key, whatever else the
-- table holds.
CREATE TABLE counters (
	scope         TEXT NOT NULL,
	key           TEXT NOT NULL,
	subject_state TEXT NOT NULL,
	prefix        TEXT NOT NULL,
	day           INTEGER NOT NULL,
	subjects      INTEGER NOT NULL DEFAULT 0,
	devices       INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (scope, key, subject_state, prefix, day)
) WITHOUT ROWID;
CREATE INDEX counters_day ON counters(day);

-- The old rows were per acting state: they become the state scope's,
-- rolled up to '*' and to every prefix of their category.
INSERT INTO counters(scope, key, subject_state, prefix, day, subjects, devices)
WITH RECURSIVE p(requesting_state, subject_state, category, day, subjects, devices, prefix, pos) AS (
	SELECT requesting_state, subject_state, category, day, subjects, devices, '', 0 FROM history
	UNION ALL
	SELECT requesting_state, subject_state, category, day, subjects, devices,
		CASE WHEN instr(substr(category, pos + 1), '.') > 0
			THEN substr(category, 1, pos + instr(substr(category, pos + 1), '.') - 1)
			ELSE category END,
		CASE WHEN instr(substr(category, pos + 1), '.') > 0
			THEN pos + instr(substr(category, pos + 1), '.')
			ELSE length(category) + 1 END
	FROM p WHERE pos <= length(category)
),
s(subject_state) AS (SELECT NULL UNION ALL SELECT '*')
SELECT 'state', p.requesting_state, COALESCE(s.subject_state, p.subject_state), p.prefix, p.day, SUM(p.subjects), SUM(p.devices)
FROM p CROSS JOIN s
GROUP BY 1, 2, 3, 4, 5;

DROP TABLE history;
