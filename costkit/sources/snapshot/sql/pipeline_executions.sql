-- Executions per pipeline: all checked ones (they estimate artifact-store requests and split shared buckets)
-- and those started inside the window (a V1 pipeline with one is active). Reads: checked_pipeline_executions, params.
SELECT
    e.account, e.region, e.pipeline,
    CAST(count(*) AS BIGINT) AS executions,
    CAST(sum(CASE WHEN e.start >= p.window_start THEN 1 ELSE 0 END) AS BIGINT) AS started_in_window
FROM checked_pipeline_executions AS e
CROSS JOIN params AS p
WHERE e.problem IS NULL
GROUP BY e.account, e.region, e.pipeline
