-- The ids of action_executions that occur more than once, with the first row holding each (checks.py keeps the
-- first and flags the others as duplicate-id). Grouping by action_execution_id alone is narrow (one column, one pass);
-- only the rows of the few ids seen more than once are grouped again by account, region, action_execution_id.
-- Reads: action_executions (+ row_order: the row's position in its file).
WITH repeated AS (
    SELECT action_execution_id
    FROM action_executions
    GROUP BY action_execution_id
    HAVING count(*) > 1
)
SELECT t.account, t.region, t.action_execution_id, min(t.row_order) AS first_row
FROM action_executions AS t
JOIN repeated AS r ON r.action_execution_id IS NOT DISTINCT FROM t.action_execution_id
GROUP BY t.account, t.region, t.action_execution_id
HAVING count(*) > 1
