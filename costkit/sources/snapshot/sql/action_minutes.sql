-- Billed V2 action minutes per pipeline, action and day (the day the execution started, UTC): the aggregate
-- costkit prices CodePipeline from. `billed` is what the executions bill as they ran (0 on V1 pipelines),
-- `minutes` what they would bill on V2. Reads: action_runs.
SELECT
    r.account, r.region, r.pipeline, r.stage, r.action, r.category, r.owner, r.v2, r.day,
    CAST(count(*) AS BIGINT) AS runs,
    coalesce(sum(r.seconds), 0.0) AS seconds,
    sum(r.minutes) AS minutes,
    sum(CASE WHEN r.v2 THEN r.minutes ELSE 0.0 END) AS billed,
    CAST(sum(CASE WHEN r.stale THEN 1 ELSE 0 END) AS BIGINT) AS stale
FROM action_runs AS r
GROUP BY r.account, r.region, r.pipeline, r.stage, r.action, r.category, r.owner, r.v2, r.day
