-- Billed CodeBuild units (minutes, seconds on Lambda compute, fleet builds) per project, compute type and day
-- (the day billing started, UTC): the aggregate costkit prices CodeBuild from. The builds with a read-time
-- problem are counted in the same pass, in groups of their own (`problem` not NULL: `runs` is how many, and they
-- bill nothing); the estimate reads only the groups whose `problem` is NULL. Reads: build_runs.
SELECT
    r.problem, r.account, r.region, r.project, r.pipeline, r.compute_type, r.environment_type, r.usage_type, r.unit,
    r.day,
    CAST(count(*) AS BIGINT) AS runs,
    sum(r.billed) AS billed,
    CAST(sum(CASE WHEN r.stale THEN 1 ELSE 0 END) AS BIGINT) AS stale,
    CAST(sum(CASE WHEN r.fleet THEN 1 ELSE 0 END) AS BIGINT) AS fleet_runs
FROM build_runs AS r
GROUP BY
    r.problem, r.account, r.region, r.project, r.pipeline, r.compute_type, r.environment_type, r.usage_type, r.unit,
    r.day
