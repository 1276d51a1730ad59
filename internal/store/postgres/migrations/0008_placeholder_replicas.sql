-- Version 8 is assigned to the replicas work. This placeholder keeps the
-- versions without gaps on a branch that has version 9 but not 8; delete it
-- when the replicas branch's 0008 is merged (two files of one version are
-- refused).
SELECT 1;
