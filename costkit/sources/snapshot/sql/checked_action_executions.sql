-- Every action execution with the first read-time check it fails (NULL: none), in the order
-- costkit/sources/snapshot/checks.py applies them; rows with a problem are left out of the estimate.
-- Reads: action_executions (+ row_order: the row's position in its file),
-- action_executions_duplicates, params.
SELECT
    a.*,
    CASE
        WHEN a.last_update < a.start THEN 'negative-duration'
        WHEN d.first_row IS NOT NULL AND a.row_order > d.first_row THEN 'duplicate-id'
        WHEN a.start >= p.window_end OR a.last_update < p.window_start THEN 'outside-window'
    END AS problem
FROM action_executions AS a
CROSS JOIN params AS p
LEFT JOIN action_executions_duplicates AS d
    ON d.account IS NOT DISTINCT FROM a.account
    AND d.region IS NOT DISTINCT FROM a.region
    AND d.action_execution_id IS NOT DISTINCT FROM a.action_execution_id
