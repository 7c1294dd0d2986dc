-- Runner instances that are alive: each beats every few seconds. An instance whose beat stops,
-- or whose process is gone from this machine, has its running jobs' leases ended at once, so a
-- crash delays its jobs by the time to notice it instead of by a whole lease.
CREATE TABLE job_instances (
    instance TEXT PRIMARY KEY NOT NULL,
    -- Which process namespace of which boot the instance runs in ('' when unknown).
    host TEXT NOT NULL,
    -- "<pid>:<start time in clock ticks>" within that host.
    process TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    heartbeat_at BIGINT NOT NULL
);
