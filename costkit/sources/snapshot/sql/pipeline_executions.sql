-- Executions per pipeline: all checked ones (they estimate artifact-store requests and split shared buckets)
-- and those started inside the window (a V1 pipeline with one is active). The executions with a read-time
-- problem are counted in the same pass, in groups of their own (`problem` not NULL: `executions` is how many);
-- the estimate reads only the groups whose `problem` is NULL. Reads: checked_pipeline_executions, params.
SELECT
    e.problem, e.account, e.region, e.pipeline,
    CAST(count(*) AS BIGINT) AS executions,
    CAST(sum(CASE WHEN e.problem IS NULL AND e.start >= p.window_start THEN 1 ELSE 0 END) AS BIGINT)
        AS started_in_window
FROM checked_pipeline_executions AS e
CROSS JOIN params AS p
GROUP BY e.problem, e.account, e.region, e.pipeline
