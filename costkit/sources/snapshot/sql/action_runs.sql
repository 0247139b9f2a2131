-- One row per action execution with its read-time `problem` (NULL: none) and, when it has none, what it bills on
-- V2 (costkit/sources/snapshot/observed.py billed_actions): measured from its start to its last update, clipped
-- to the window, rounded up per execution to a whole minute, at least one (billing/codepipeline.py
-- action_minutes); approvals and custom actions bill none (V1 pipelines bill none: action_minutes.sql joins the
-- pipeline types after summing). A row with a problem bills nothing (seconds NULL, minutes 0): it is only
-- counted, under its problem, in the same pass over the table. An execution still InProgress in a window closed
-- when collected is billed to at most its timeout (the action's declared timeoutInMinutes, else the most
-- specific pricing/run_timeouts.csv row) and is `stale` when the timeout came first; in a window still open it
-- is billed to the collection.
-- Times are counted in microseconds from the window's start (Trino: date_diff('millisecond', ...) * 1000).
-- Reads: checked_action_executions, params, declared_action_timeouts, action_timeouts.
WITH unfinished AS (
    -- The few running executions, each with its timeout: declared, else the best matching row (lowest rank).
    SELECT
        c.account, c.region, c.action_execution_id, c.row_order,
        coalesce(max(d.timeout_minutes), min_by(t.timeout_minutes, t.rank)) AS timeout_minutes
    FROM checked_action_executions AS c
    LEFT JOIN declared_action_timeouts AS d
        ON d.account = c.account AND d.region = c.region AND d.pipeline = c.pipeline
        AND d.stage = c.stage AND d.action = c.action
    LEFT JOIN action_timeouts AS t
        ON (t.category = c.category OR t.category = '*')
        AND (t.owner = c.owner OR t.owner = '*')
        AND (t.provider = c.provider OR t.provider = '*')
    WHERE c.status = 'InProgress' AND c.problem IS NULL
    GROUP BY c.account, c.region, c.action_execution_id, c.row_order
),
timed AS (
    SELECT
        c.*,
        c.category IS DISTINCT FROM 'Approval' AND c.owner IS DISTINCT FROM 'Custom' AS chargeable,
        date_diff('microsecond', p.window_start, c.start) AS start_us,
        date_diff('microsecond', p.window_start, c.last_update) AS recorded_us,
        date_diff('microsecond', p.window_start, p.window_end) AS window_us,
        date_diff('microsecond', p.window_start, p.collected) AS collected_us,
        p.closed,
        c.status = 'InProgress' AND c.problem IS NULL AS running,
        u.timeout_minutes
    FROM checked_action_executions AS c
    CROSS JOIN params AS p
    LEFT JOIN unfinished AS u
        ON u.account = c.account AND u.region = c.region
        AND u.action_execution_id = c.action_execution_id AND u.row_order = c.row_order
),
ended AS (
    SELECT
        t.*,
        t.start_us + CAST(round(t.timeout_minutes * 60000000) AS BIGINT) AS cap_us
    FROM timed AS t
),
billed_end AS (
    SELECT
        e.*,
        CASE
            WHEN NOT coalesce(e.running, FALSE) THEN e.recorded_us
            WHEN NOT e.closed THEN least(e.collected_us, e.window_us)
            WHEN e.cap_us < e.collected_us THEN e.cap_us
            ELSE e.collected_us
        END AS end_us,
        coalesce(e.running, FALSE) AND e.closed AND coalesce(e.cap_us < e.collected_us, FALSE) AS stale
    FROM ended AS e
),
clipped AS (
    SELECT
        b.*,
        CASE
            WHEN b.problem IS NOT NULL OR b.start_us IS NULL OR b.end_us IS NULL THEN NULL
            WHEN (CASE WHEN b.end_us < b.window_us THEN b.end_us ELSE b.window_us END)
                - (CASE WHEN b.start_us > 0 THEN b.start_us ELSE 0 END) < 0 THEN 0.0
            ELSE ((CASE WHEN b.end_us < b.window_us THEN b.end_us ELSE b.window_us END)
                - (CASE WHEN b.start_us > 0 THEN b.start_us ELSE 0 END)) / 1000000.0
        END AS seconds
    FROM billed_end AS b
)
SELECT
    c.account, c.region, c.pipeline, c.stage, c.action, c.category, c.owner, c.provider,
    c.execution_id, c.action_execution_id, c.status, c.problem, c.stale,
    CAST(c.start AS DATE) AS day,
    c.seconds,
    CASE
        WHEN c.chargeable AND coalesce(c.seconds, 0) > 0 THEN greatest(ceil(round(c.seconds / 60.0, 9)), 1.0)
        ELSE 0.0
    END AS minutes
FROM clipped AS c
