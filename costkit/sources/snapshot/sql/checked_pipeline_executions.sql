-- Every pipeline execution with the first read-time check it fails (NULL: none), in the order
-- costkit/sources/snapshot/checks.py applies them; rows with a problem are left out of the estimate.
-- Reads: pipeline_executions (+ row_order: the row's position in its file),
-- pipeline_executions_duplicates, params.
SELECT
    e.*,
    CASE
        WHEN e.last_update < e.start THEN 'negative-duration'
        WHEN d.first_row IS NOT NULL AND e.row_order > d.first_row THEN 'duplicate-id'
        WHEN e.start >= p.window_end OR e.last_update < p.window_start THEN 'outside-window'
    END AS problem
FROM pipeline_executions AS e
CROSS JOIN params AS p
LEFT JOIN pipeline_executions_duplicates AS d
    ON d.account IS NOT DISTINCT FROM e.account
    AND d.region IS NOT DISTINCT FROM e.region
    AND d.pipeline IS NOT DISTINCT FROM e.pipeline
    AND d.execution_id IS NOT DISTINCT FROM e.execution_id
