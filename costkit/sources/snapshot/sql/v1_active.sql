-- V1 pipelines active in the window: at least one execution started inside it. Whether the month is the free
-- trial (created 30 days or less before the window's end) is the pipeline's own attribute.
-- Reads: pipeline_types, checked_pipeline_executions, params.
SELECT t.account, t.region, t.pipeline
FROM pipeline_types AS t
WHERE t.pipeline_type = 'V1'
    AND EXISTS (
        SELECT 1
        FROM checked_pipeline_executions AS e
        CROSS JOIN params AS p
        WHERE e.problem IS NULL AND e.start >= p.window_start
            AND e.account = t.account AND e.region = t.region AND e.pipeline = t.pipeline
    )
