-- Version 5: reserved for the advisories change (branch wt-advisory), whose
-- own 0005_advisories.sql replaces this placeholder when both are merged.
SELECT 1;
