-- Version 2: descriptive attributes of principals that packs read
-- (headquarters, owners, residence, employer, ciio), as a JSON object.
ALTER TABLE principals ADD COLUMN attributes TEXT NOT NULL DEFAULT '{}';
