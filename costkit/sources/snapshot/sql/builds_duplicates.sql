-- The ids of builds that occur more than once, with the first row holding each (checks.py keeps the
-- first and flags the others as duplicate-id). Grouping by build_id alone is narrow (one column, one pass);
-- only the rows of the few ids seen more than once are grouped again by account, region, build_id.
-- Reads: builds (+ row_order: the row's position in its file).
WITH repeated AS (
    SELECT build_id
    FROM builds
    GROUP BY build_id
    HAVING count(*) > 1
)
SELECT t.account, t.region, t.build_id, min(t.row_order) AS first_row
FROM builds AS t
JOIN repeated AS r ON r.build_id IS NOT DISTINCT FROM t.build_id
GROUP BY t.account, t.region, t.build_id
HAVING count(*) > 1
