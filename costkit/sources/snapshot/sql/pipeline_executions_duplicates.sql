-- The ids of pipeline_executions that occur more than once, with the first row holding each (checks.py keeps the
-- first and flags the others as duplicate-id). Grouping by execution_id alone is narrow (one column, one pass);
-- only the rows of the few ids seen more than once are grouped again by account, region, pipeline, execution_id.
-- Reads: pipeline_executions (+ row_order: the row's position in its file).
WITH repeated AS (
    SELECT execution_id
    FROM pipeline_executions
    GROUP BY execution_id
    HAVING count(*) > 1
)
SELECT t.account, t.region, t.pipeline, t.execution_id, min(t.row_order) AS first_row
FROM pipeline_executions AS t
JOIN repeated AS r ON r.execution_id IS NOT DISTINCT FROM t.execution_id
GROUP BY t.account, t.region, t.pipeline, t.execution_id
HAVING count(*) > 1
