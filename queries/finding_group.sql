-- SPDX-License-Identifier: Apache-2.0
-- finding_group: an incident's findings grouped by kind, culprit and object.
--
-- What: every finding of the library's finding views (cancel_unobserved,
--   cancel_broken_link, leak_suspect, wait_cycle, cancel_detached,
--   context_lock_wait) grouped by what stays the same when the same bug
--   happens again in a rebuilt binary: its kind, the culprit function (or
--   type) and the kind of object involved; never addresses or lines. One
--   row per group, with how many goroutines or contexts it holds.
-- Why: the archive keeps these rows per incident (table incident_finding,
--   written at ingest): counting findings over hundreds of incidents, comparing
--   two incidents ('gocoroner diff') and the signature ('gocoroner similar')
--   read them instead of running every finding view again.
-- Example: SELECT kind, culprit, object, count FROM finding_group
--           WHERE incident_id = 1 ORDER BY kind, count DESC;
--
-- @column incident_id: the incident (incident.id)
-- @column kind: the finding view: 'cancel_unobserved', 'cancel_broken_link',
--   'leak_suspect', 'wait_cycle', 'cancel_detached', 'context_lock_wait'
-- @column culprit: the function holding the canceled context
--   (cancel_unobserved) or where the goroutine blocks (leak_suspect,
--   wait_cycle); "REASON TYPE" where cancellation stopped
--   (cancel_broken_link: 'user-type *main.detachedCtx'); NULL for
--   cancel_detached and context_lock_wait, and when unknown
-- @column object: the held context's kind (cancel_unobserved), the live
--   context's type (cancel_broken_link), the object waited on (leak_suspect:
--   'chan', 'sync.Mutex'...), the locked context's kind
--   (context_lock_wait); NULL otherwise or when unknown
-- @column count: goroutines (cancel_unobserved, leak_suspect, wait_cycle) or
--   contexts (cancel_broken_link, cancel_detached, context_lock_wait) in the
--   group; cancel_unobserved's without the victims it leaves out (they
--   count under their culprit: stuck_behind)
CREATE VIEW finding_group AS
-- One arm per view, each grouped on incident_id so that "incident_id = ?"
-- reaches the finding view underneath.
SELECT u.incident_id AS incident_id, 'cancel_unobserved' AS kind, u.func AS culprit,
       u.ctx_kind AS object, count(*) AS count
  FROM cancel_unobserved AS u
 GROUP BY u.incident_id, u.func, u.ctx_kind
UNION ALL
SELECT b.incident_id, 'cancel_broken_link', b.reason || ' ' || COALESCE(b.break_type, '?'),
       b.ctx_type, count(*)
  FROM cancel_broken_link AS b
 GROUP BY b.incident_id, b.reason, b.break_type, b.ctx_type
UNION ALL
-- Goroutines of a wait cycle are leak suspects too: both are counted, as
-- 'report' does not (it lists them under the cycle only).
SELECT l.incident_id, 'leak_suspect', l.func, l.obj_kind, count(DISTINCT l.goid)
  FROM leak_suspect AS l
 GROUP BY l.incident_id, l.func, l.obj_kind
UNION ALL
SELECT cy.incident_id, 'wait_cycle', lw.func, NULL, count(DISTINCT cy.goid)
  FROM wait_cycle AS cy
  JOIN long_wait AS lw ON lw.incident_id = cy.incident_id AND lw.goid = cy.goid
 GROUP BY cy.incident_id, lw.func
UNION ALL
SELECT d.incident_id, 'cancel_detached', NULL, NULL, count(*)
  FROM cancel_detached AS d
 GROUP BY d.incident_id
UNION ALL
-- context_lock_wait counted from its rows directly (contexts with a waiter):
-- SQLite would not push "incident_id = ?" through the view's GROUP BY and
-- this one, and would read sync_wait_by_ctx of every incident.
SELECT k.incident_id, 'context_lock_wait', NULL, c.kind, count(DISTINCT k.ctx_addr)
  FROM sync_wait AS k INDEXED BY sync_wait_by_ctx
  LEFT JOIN context AS c ON c.incident_id = k.incident_id AND c.addr = k.ctx_addr
 WHERE k.ctx_addr IS NOT NULL
 GROUP BY k.incident_id, c.kind;
