-- The ids of action_executions that occur more than once, with the first row holding each (checks.py keeps the
-- first and flags the others as duplicate-id). Only the key columns are grouped, so it stays narrow.
-- Reads: action_executions (+ row_order: the row's position in its file).
SELECT account, region, action_execution_id, min(row_order) AS first_row
FROM action_executions
GROUP BY account, region, action_execution_id
HAVING count(*) > 1
