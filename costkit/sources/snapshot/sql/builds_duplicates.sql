-- The ids of builds that occur more than once, with the first row holding each (checks.py keeps the
-- first and flags the others as duplicate-id). Only the key columns are grouped, so it stays narrow.
-- Reads: builds (+ row_order: the row's position in its file).
SELECT account, region, build_id, min(row_order) AS first_row
FROM builds
GROUP BY account, region, build_id
HAVING count(*) > 1
