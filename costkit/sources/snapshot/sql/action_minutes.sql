-- Billed V2 action minutes per pipeline, action and day (the day the execution started, UTC): the aggregate
-- costkit prices CodePipeline from. `billed` is what the executions bill as they ran (0 on V1 pipelines),
-- `minutes` what they would bill on V2. The executions with a read-time problem are counted in the same pass,
-- in groups of their own (`problem` not NULL: `runs` is how many, and they bill nothing); the estimate reads
-- only the groups whose `problem` is NULL. The pipeline types are joined to the groups, not to every execution.
-- One SELECT without WITH, so that it can follow the WITH list of the relations it reads.
-- Reads: action_runs, pipeline_types.
SELECT
    g.problem, g.account, g.region, g.pipeline, g.stage, g.action, g.category, g.owner,
    coalesce(t.pipeline_type = 'V2', FALSE) AS v2,
    g.day, g.runs, g.seconds, g.minutes,
    CASE WHEN coalesce(t.pipeline_type = 'V2', FALSE) THEN g.minutes ELSE 0.0 END AS billed,
    g.stale
FROM (
    SELECT
        r.problem, r.account, r.region, r.pipeline, r.stage, r.action, r.category, r.owner, r.day,
        CAST(count(*) AS BIGINT) AS runs,
        coalesce(sum(r.seconds), 0.0) AS seconds,
        sum(r.minutes) AS minutes,
        CAST(sum(CASE WHEN r.stale THEN 1 ELSE 0 END) AS BIGINT) AS stale
    FROM action_runs AS r
    GROUP BY r.problem, r.account, r.region, r.pipeline, r.stage, r.action, r.category, r.owner, r.day
) AS g
LEFT JOIN pipeline_types AS t
    ON t.account = g.account AND t.region = g.region AND t.pipeline = g.pipeline
