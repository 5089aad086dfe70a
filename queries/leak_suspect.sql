-- SPDX-License-Identifier: Apache-2.0
-- leak_suspect: blocked goroutines that nothing able to run can ever wake.
--
-- What: a user goroutine waiting ('waiting', or 'leaked' after Go 1.26's
--   leak profile) where every channel or sync primitive it waits on was
--   left unreached by the heap marking done at ingest (wait_reach.reached_by
--   NULL: no package variable and no goroutine that can run or be woken
--   holds it), or that waits on a nil channel or an empty select. One row
--   per goroutine and object. Empty for incidents without a heap_scan row.
-- Why: such a goroutine, and everything it references, is leaked for the
--   life of the process.
-- Example: SELECT goid, wait_reason, obj_kind, func, line
--            FROM leak_suspect WHERE incident_id = 1;
--
-- @column incident_id: the incident (incident.id)
-- @column goid: the goroutine
-- @column status: goroutine.status
-- @column wait_reason: goroutine.wait_reason
-- @column wait_minutes: goroutine.wait_minutes
-- @column obj_addr: the object it waits on (channel.addr or sync_wait.addr);
--   NULL for a nil channel or an empty select
-- @column obj_kind: 'chan', or sync_wait.kind ('sync.Mutex'...); NULL with
--   obj_addr
-- @column func: its innermost frame outside runtime, internal/ and sync
--   (the innermost frame if all are)
-- @column file: that frame's source file
-- @column line: that frame's source line
-- @column heap_complete: heap_scan.complete: 0 if memory was missing, so the
--   object might be reachable through what could not be read
-- @column evidence: how sure the row is. 'proven': nothing that can run
--   reaches what it waits on, by a complete scan (heap_complete = 1) — where
--   the runtime's pointer bitmaps could not be read (heap_scan.heap_bits,
--   objects_conservative) the scan took every word for a pointer, which only
--   marks more, so an object left unreached stays unreached — or it waits
--   on a nil channel or an empty select (nothing can ever wake it), or Go's
--   own leak detector marked it (status 'leaked'). 'probable': memory was
--   missing from the core (heap_complete = 0), so a root or an object that
--   could not be read may still reach it.
CREATE VIEW leak_suspect AS
WITH sus (incident_id, goid, obj_addr, complete) AS (
  SELECT r.incident_id, r.goid, r.obj_addr, h.complete
    FROM heap_scan AS h
   CROSS JOIN wait_reach AS r ON r.incident_id = h.incident_id
   -- The row's own reached_by first: a goroutine none of whose objects is
   -- reached has this one unreached too, and the test is a column of the row
   -- where NOT EXISTS is a lookup; most waits are reached (0.05 s of lookups
   -- for 100,000 of them, bench/README.md).
   WHERE r.reached_by IS NULL
     AND NOT EXISTS (SELECT 1 FROM wait_reach AS o
                      WHERE o.incident_id = r.incident_id AND o.goid = r.goid
                        AND o.reached_by IS NOT NULL)
  UNION ALL
  SELECT g.incident_id, g.goid, NULL, h.complete
    FROM heap_scan AS h
   -- The reasons of goroutine_by_wait's WHERE (store/schema.sql, version
   -- 12), word for word: the partial index holds only these waits.
   CROSS JOIN goroutine_base AS g INDEXED BY goroutine_by_wait
      ON g.incident_id = h.incident_id
     AND g.wait_reason IN ('chan receive (nil chan)', 'chan send (nil chan)', 'select (no cases)')
)
SELECT g.incident_id AS incident_id,
       g.goid AS goid,
       g.status AS status,
       g.wait_reason AS wait_reason,
       g.wait_minutes AS wait_minutes,
       su.obj_addr AS obj_addr,
       CASE WHEN su.obj_addr IS NULL THEN NULL
            WHEN EXISTS (SELECT 1 FROM chan_wait AS w
                          WHERE w.incident_id = su.incident_id AND w.goid = su.goid
                            AND w.chan_addr = su.obj_addr) THEN 'chan'
            ELSE (SELECT y.kind FROM sync_wait AS y
                   WHERE y.incident_id = su.incident_id AND y.goid = su.goid
                     AND y.addr = su.obj_addr) END AS obj_kind,
       uf.func AS func,
       uf.file AS file,
       uf.line AS line,
       su.complete AS heap_complete,
       CASE WHEN su.complete = 1 OR su.obj_addr IS NULL OR g.status = 'leaked' THEN 'proven'
            ELSE 'probable' END AS evidence
  FROM sus AS su
 CROSS JOIN goroutine AS g ON g.incident_id = su.incident_id AND g.goid = su.goid
  LEFT JOIN _user_frame AS uf
    ON uf.incident_id = g.incident_id AND uf.stack_id = g.stack_id
 WHERE g.status IN ('waiting', 'leaked') AND g.is_system = 0;
