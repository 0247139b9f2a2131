-- Every build with the first read-time check it fails (NULL: none), in the order
-- costkit/sources/snapshot/checks.py applies them; rows with a problem are left out of the estimate.
-- A quantity is bad when negative, NaN or infinite (`x * 0 = 0` holds only for finite numbers, in DuckDB and
-- Trino alike); billable_seconds may be missing or NaN (a running build), only not negative or infinite
-- (Trino: is_infinite for isinf), the phase seconds may not.
-- Reads: builds (+ row_order: the row's position in its file; absent optional columns as NULL, absent phase columns as 0),
-- builds_duplicates, params.
SELECT
    b.*,
    CASE
        WHEN b.billable_seconds < 0 OR isinf(b.billable_seconds) THEN 'bad-number:billable_seconds'
        WHEN b.queued_s < 0 OR NOT coalesce(b.queued_s * 0 = 0, FALSE) THEN 'bad-number:queued_s'
        WHEN b.provisioning_s < 0 OR NOT coalesce(b.provisioning_s * 0 = 0, FALSE) THEN 'bad-number:provisioning_s'
        WHEN b.download_source_s < 0 OR NOT coalesce(b.download_source_s * 0 = 0, FALSE)
            THEN 'bad-number:download_source_s'
        WHEN b.install_s < 0 OR NOT coalesce(b.install_s * 0 = 0, FALSE) THEN 'bad-number:install_s'
        WHEN b.pre_build_s < 0 OR NOT coalesce(b.pre_build_s * 0 = 0, FALSE) THEN 'bad-number:pre_build_s'
        WHEN b.build_s < 0 OR NOT coalesce(b.build_s * 0 = 0, FALSE) THEN 'bad-number:build_s'
        WHEN b.post_build_s < 0 OR NOT coalesce(b.post_build_s * 0 = 0, FALSE) THEN 'bad-number:post_build_s'
        WHEN b.upload_artifacts_s < 0 OR NOT coalesce(b.upload_artifacts_s * 0 = 0, FALSE)
            THEN 'bad-number:upload_artifacts_s'
        WHEN b.finalizing_s < 0 OR NOT coalesce(b.finalizing_s * 0 = 0, FALSE) THEN 'bad-number:finalizing_s'
        WHEN b."end" < b.start THEN 'negative-duration'
        WHEN d.first_row IS NOT NULL AND b.row_order > d.first_row THEN 'duplicate-id'
        WHEN b.start >= p.window_end OR b."end" < p.window_start THEN 'outside-window'
        WHEN b."end" > b.billed_start + INTERVAL '36' HOUR THEN 'build-too-long'
    END AS problem
FROM builds AS b
CROSS JOIN params AS p
LEFT JOIN builds_duplicates AS d
    ON d.account IS NOT DISTINCT FROM b.account
    AND d.region IS NOT DISTINCT FROM b.region
    AND d.build_id IS NOT DISTINCT FROM b.build_id
