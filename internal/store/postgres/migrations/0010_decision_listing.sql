-- Version 10: listing decisions (GET /v1/decisions).
--
-- summary: JSON of store.DecisionSummary (codes and counts only); NULL for
-- a record stored before this version, until the store fills it in from
-- the private record when it opens.
ALTER TABLE decisions ADD COLUMN summary TEXT;
-- The records still to summarise, found without reading every decision.
CREATE INDEX decisions_unsummarized ON decisions(log_index) WHERE summary IS NULL;
CREATE INDEX decisions_created ON decisions(created, log_index);

-- One row per filterable value of a decision (store.DecisionFacet): a
-- listing drives from (facet, value) newest first and checks the other
-- filters by primary key. created and log_index repeat the decision's.
CREATE TABLE decision_facets (
	log_index BIGINT NOT NULL,
	facet     TEXT NOT NULL,
	value     TEXT NOT NULL,
	created   TIMESTAMPTZ NOT NULL,
	PRIMARY KEY (log_index, facet, value)
);
CREATE INDEX decision_facets_list ON decision_facets(facet, value, created, log_index);
