-- One row per build with its read-time `problem` (NULL: none) and, when it has none and bills, what it bills
-- (costkit/sources/snapshot/observed.py billed_builds): from PROVISIONING start (billed_start) to its end, clipped
-- to the window, rounded up per build to a whole minute (EC2 compute) or second (Lambda compute), at least one
-- (billing/codebuild.py billed_for). A build on a reserved-capacity fleet bills one fleet build. A build without
-- an end, in a window closed when collected, is billed to at most its timeout (its own, else its project's, else
-- params.default_build_timeout) and is `stale` when the timeout came first; in a window still open it is not
-- counted (not billed yet). A row with a problem bills nothing (billed 0, not stale, not fleet): it is only
-- counted, under its problem, in the same pass over the table.
-- Times are counted in microseconds from the window's start (Trino: date_diff('millisecond', ...) * 1000).
-- Reads: checked_builds, params, project_timeouts, compute_types.
WITH timed AS (
    SELECT
        c.*,
        date_diff('microsecond', p.window_start, c.billed_start) AS start_us,
        date_diff('microsecond', p.window_start, c."end") AS recorded_us,
        date_diff('microsecond', p.window_start, p.window_end) AS window_us,
        date_diff('microsecond', p.window_start, p.collected) AS collected_us,
        p.closed,
        p.fleet_build_usage_type,
        coalesce(c.timeout_minutes, pj.timeout_minutes, p.default_build_timeout) AS timeout
    FROM checked_builds AS c
    CROSS JOIN params AS p
    LEFT JOIN project_timeouts AS pj
        ON pj.account = c.account AND pj.region = c.region AND pj.project = c.project
),
ended AS (
    SELECT
        t.*,
        CASE WHEN t.problem IS NULL THEN t.start_us + CAST(round(t.timeout * 60000000) AS BIGINT) END AS cap_us
    FROM timed AS t
),
billed_end AS (
    SELECT
        e.*,
        CASE
            WHEN e.recorded_us IS NOT NULL THEN e.recorded_us
            WHEN NOT e.closed THEN NULL
            WHEN e.cap_us < e.collected_us THEN e.cap_us
            ELSE e.collected_us
        END AS end_us,
        e.problem IS NULL AND e.recorded_us IS NULL AND e.closed AND coalesce(e.cap_us < e.collected_us, FALSE)
            AS stale
    FROM ended AS e
),
clipped AS (
    SELECT
        b.*,
        CASE
            WHEN b.problem IS NOT NULL OR b.start_us IS NULL THEN NULL
            WHEN (CASE WHEN b.end_us < b.window_us THEN b.end_us ELSE b.window_us END)
                - (CASE WHEN b.start_us > 0 THEN b.start_us ELSE 0 END) < 0 THEN 0.0
            ELSE ((CASE WHEN b.end_us < b.window_us THEN b.end_us ELSE b.window_us END)
                - (CASE WHEN b.start_us > 0 THEN b.start_us ELSE 0 END)) / 1000000.0
        END AS seconds,
        b.problem IS NULL AND b.fleet_arn IS NOT NULL AND b.fleet_arn <> '' AS fleet,
        CASE WHEN b.initiator LIKE 'codepipeline/%' THEN substr(b.initiator, 14) END AS pipeline
    FROM billed_end AS b
    WHERE b.end_us IS NOT NULL OR b.problem IS NOT NULL
)
SELECT
    c.account, c.region, c.project, c.pipeline, c.compute_type, c.environment_type, c.build_id, c.status, c.problem,
    CASE WHEN c.fleet THEN c.fleet_build_usage_type ELSE m.usage_type END AS usage_type,
    CASE WHEN c.fleet THEN 'Build' ELSE coalesce(m.billing_unit, 'Minute') END AS unit,
    c.fleet, c.stale,
    CAST(c.billed_start AS DATE) AS day,
    c.seconds,
    CASE
        WHEN c.fleet THEN 1.0
        WHEN coalesce(c.seconds, 0) <= 0 THEN 0.0
        WHEN m.billing_unit = 'Second' THEN greatest(ceil(round(c.seconds, 9)), 1.0)
        ELSE greatest(ceil(round(c.seconds / 60.0, 9)), 1.0)
    END AS billed
FROM clipped AS c
LEFT JOIN compute_types AS m
    ON m.compute_type = c.compute_type AND m.environment_type = c.environment_type
