-- cancel_broken_link: live contexts below a canceled ancestor that should
-- have been canceled with it.
--
-- What: a cancel/timer/afterFunc context that is not canceled although an
--   ancestor it inherits cancellation from is (no withoutCancel between
--   them). Either a user-defined Context type on the path does not forward
--   cancellation ('user-type'), or the context was missing from its canceled
--   parent's children when the parent was canceled ('not-registered').
--   And a user-defined context below a canceled ancestor it wraps whose
--   own Done channel (its type defines Done, returning a channel field of
--   its own) is still open ('own-done'): whoever selects on it waits for
--   good, however canceled the parent is. A user type that is already the
--   break of a 'user-type' row is not listed again.
-- Why: everything waiting on its Done channel, and everything derived from
--   it, never learns that the work was canceled.
-- Example: SELECT printf('%#x', ctx_addr), reason, path, waiter_goids
--            FROM cancel_broken_link WHERE incident_id = 1;
--
-- @column incident_id: the incident (incident.id)
-- @column ctx_addr: the live context (context.addr)
-- @column ctx_type: its context.type_name
-- @column canceled_addr: where the ancestor's cancellation started
-- @column break_addr: where propagation stopped: the user-defined context
--   ('user-type'), or the nearest canceled ancestor whose children lacked it
--   ('not-registered'), or the user-defined context itself ('own-done')
-- @column break_type: break_addr's context.type_name
-- @column reason: 'user-type', 'not-registered' or 'own-done'
-- @column path: the contexts from the canceled ancestor down to ctx_addr,
--   "ADDR KIND (canceled) > ADDR TYPE > ... > ADDR KIND"
-- @column waiter_goids: goroutines queued on its Done channel, comma-separated
--   in goid order; NULL if none
-- @column holder_goids: goroutines holding it, comma-separated; NULL if none
-- @column evidence: how the best of those holdings was established
--   (goroutine_context.evidence; one the stack maps vouch for, '...-live',
--   before an unverified one, then the smallest goid); NULL if none or
--   unknown (incidents stored before version 7)
CREATE VIEW cancel_broken_link AS
WITH linked (incident_id, addr, origin_addr, break_addr, reason, path) AS (
  SELECT b.incident_id, b.addr, b.origin_addr, COALESCE(b.user_addr, b.seed_addr),
         CASE WHEN b.user_addr IS NOT NULL THEN 'user-type' ELSE 'not-registered' END, b.path
    FROM _ctx_below_canceled AS b
   WHERE b.depth > 0 AND b.kind IN ('cancel', 'timer', 'afterFunc') AND b.canceled = 0
),
broken (incident_id, addr, origin_addr, break_addr, reason, path) AS (
  SELECT * FROM linked
  UNION ALL
  -- A user type already named as the break of a live context below it is
  -- one finding, not two.
  SELECT b.incident_id, b.addr, b.origin_addr, b.addr, 'own-done', b.path
    FROM _ctx_below_canceled AS b
    JOIN context AS own ON own.incident_id = b.incident_id AND own.addr = b.addr
   WHERE b.depth > 0 AND b.kind = 'user' AND own.done_chan IS NOT NULL AND own.done_closed = 0
     AND NOT EXISTS (SELECT 1 FROM linked AS l
                      WHERE l.incident_id = b.incident_id AND l.break_addr = b.addr)
)
SELECT b.incident_id AS incident_id,
       b.addr AS ctx_addr,
       c.type_name AS ctx_type,
       b.origin_addr AS canceled_addr,
       b.break_addr AS break_addr,
       k.type_name AS break_type,
       b.reason AS reason,
       b.path AS path,
       (SELECT group_concat(goid, ',') FROM (
          SELECT DISTINCT w.goid FROM chan_wait AS w INDEXED BY chan_wait_by_chan
           WHERE w.incident_id = b.incident_id AND w.chan_addr = c.done_chan ORDER BY w.goid))
         AS waiter_goids,
       (SELECT group_concat(goid, ',') FROM (
          SELECT DISTINCT gc.goid FROM goroutine_context AS gc INDEXED BY goroutine_context_by_ctx
           WHERE gc.incident_id = b.incident_id AND gc.ctx_addr = b.addr ORDER BY gc.goid))
         AS holder_goids,
       (SELECT gc.evidence FROM goroutine_context AS gc INDEXED BY goroutine_context_by_ctx
         WHERE gc.incident_id = b.incident_id AND gc.ctx_addr = b.addr
         ORDER BY COALESCE(gc.evidence, '') LIKE '%-unverified', gc.goid LIMIT 1)
         AS evidence
  FROM broken AS b
  JOIN context AS c ON c.incident_id = b.incident_id AND c.addr = b.addr
  LEFT JOIN context AS k ON k.incident_id = b.incident_id AND k.addr = b.break_addr;
