-- The ids of pipeline_executions that occur more than once, with the first row holding each (checks.py keeps the
-- first and flags the others as duplicate-id). Only the key columns are grouped, so it stays narrow.
-- Reads: pipeline_executions (+ row_order: the row's position in its file).
SELECT account, region, pipeline, execution_id, min(row_order) AS first_row
FROM pipeline_executions
GROUP BY account, region, pipeline, execution_id
HAVING count(*) > 1
