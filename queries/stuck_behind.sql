-- SPDX-License-Identifier: Apache-2.0
-- stuck_behind: goroutines stuck behind another, with the culprit they wait
-- for.
--
-- What: one row per victim of goroutine_blocker (computed at ingest, see
--   store/schema.sql): a blocked goroutine every possible releaser of whose
--   channel or sync primitive is the culprit or stuck behind it, so it cannot
--   move before the culprit does — a hundred goroutines on the mutex the
--   culprit holds, the one waiting on the WaitGroup only those hundred can
--   finish. With where the victim and the culprit block.
-- Why: the culprit is the one goroutine to look at; its victims are the
--   symptom. The bug views leave out the victims of a goroutine they report
--   (cancel_unobserved), and 'report' counts them under their culprit's
--   finding ("N goroutines stuck behind it").
-- Example: SELECT culprit_goid, wait_reason, func, count(*) FROM stuck_behind
--           WHERE incident_id = 1 GROUP BY 1, 2, 3 ORDER BY 4 DESC;
--
-- @column incident_id: the incident (incident.id)
-- @column goid: the victim
-- @column wait_reason: its goroutine.wait_reason, e.g. 'sync.Mutex.Lock'
-- @column via: goroutine_blocker.via: 'mutex', 'rwmutex', 'waitgroup',
--   'cond', 'sema' or 'chan'
-- @column obj_addr: what it waits on (goroutine_blocker.obj_addr)
-- @column hops: goroutine_blocker.hops: 1 when the culprit itself releases
--   obj_addr, 2 when victims of hops 1 do...
-- @column func: the victim's innermost frame outside runtime, internal/ and
--   sync (_user_frame)
-- @column file: that frame's source file
-- @column line: that frame's source line
-- @column culprit_goid: the goroutine it is stuck behind
-- @column culprit_status: the culprit's goroutine.status
-- @column culprit_wait_reason: the culprit's goroutine.wait_reason (NULL
--   when running)
-- @column culprit_func: the culprit's innermost frame outside runtime,
--   internal/ and sync
-- @column culprit_file: that frame's source file
-- @column culprit_line: that frame's source line
CREATE VIEW stuck_behind AS
SELECT sb.incident_id AS incident_id,
       sb.goid AS goid,
       g.wait_reason AS wait_reason,
       sb.via AS via,
       sb.obj_addr AS obj_addr,
       sb.hops AS hops,
       uf.func AS func,
       uf.file AS file,
       uf.line AS line,
       sb.culprit_goid AS culprit_goid,
       c.status AS culprit_status,
       c.wait_reason AS culprit_wait_reason,
       cf.func AS culprit_func,
       cf.file AS culprit_file,
       cf.line AS culprit_line
  FROM goroutine_blocker AS sb
  JOIN goroutine AS g ON g.incident_id = sb.incident_id AND g.goid = sb.goid
  JOIN goroutine AS c ON c.incident_id = sb.incident_id AND c.goid = sb.culprit_goid
  LEFT JOIN _user_frame AS uf ON uf.incident_id = g.incident_id AND uf.stack_id = g.stack_id
  LEFT JOIN _user_frame AS cf ON cf.incident_id = c.incident_id AND cf.stack_id = c.stack_id;
