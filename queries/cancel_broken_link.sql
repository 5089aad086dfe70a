-- SPDX-License-Identifier: Apache-2.0
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
WITH RECURSIVE linked (incident_id, addr, origin_addr, break_addr, reason, path) AS (
  SELECT b.incident_id, b.addr, b.origin_addr, COALESCE(b.user_addr, b.seed_addr),
         CASE WHEN b.user_addr IS NOT NULL THEN 'user-type' ELSE 'not-registered' END, b.path
    FROM _ctx_below_canceled AS b
   WHERE b.depth > 0 AND b.kind IN ('cancel', 'timer', 'afterFunc') AND b.canceled = 0
),
-- The own-done candidates, walked upwards from the few user contexts whose
-- own Done is open, through contexts without a state of their own, to the
-- nearest canceled one: not a second walk down from every canceled context.
up (incident_id, addr, node, node_kind, node_canceled, path, steps) AS (
  SELECT uc.incident_id, uc.addr, uc.addr, uc.kind, uc.canceled,
         printf('%#x %s', uc.addr, COALESCE(uc.type_name, 'user')), 0
    FROM incident AS i
   CROSS JOIN context AS uc ON uc.incident_id = i.id
   WHERE uc.kind = 'user' AND uc.done_chan IS NOT NULL AND uc.done_closed = 0
  UNION ALL
  SELECT up.incident_id, up.addr, p.addr, p.kind, p.canceled,
         printf('%#x %s', p.addr, CASE WHEN p.kind = 'user' THEN COALESCE(p.type_name, 'user')
                                       ELSE p.kind END)
           || CASE WHEN p.canceled = 1 THEN ' (canceled)' ELSE '' END || ' > ' || up.path,
         up.steps + 1
    FROM up
    JOIN context AS n ON n.incident_id = up.incident_id AND n.addr = up.node
    JOIN context AS p ON p.incident_id = n.incident_id AND p.addr = n.parent_addr
   WHERE up.steps < 1000 AND (up.steps = 0 OR up.node_kind IN ('value', 'stop', 'user'))
),
broken (incident_id, addr, origin_addr, break_addr, reason, path) AS (
  SELECT * FROM linked
  UNION ALL
  -- A user type already named as the break of a live context below it is
  -- one finding, not two.
  SELECT up.incident_id, up.addr,
         (SELECT cc.origin_addr FROM _ctx_canceled AS cc
           WHERE cc.incident_id = up.incident_id AND cc.addr = up.node),
         up.addr, 'own-done', up.path
    FROM up
   WHERE up.steps > 0 AND up.node_canceled = 1
     AND up.node_kind IN ('cancel', 'timer', 'afterFunc')
     AND NOT EXISTS (SELECT 1 FROM linked AS l
                      WHERE l.incident_id = up.incident_id AND l.break_addr = up.addr)
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
          SELECT DISTINCT w.goid FROM chan_wait_base AS w INDEXED BY chan_wait_by_chan
           WHERE w.incident_id = b.incident_id AND w.chan_addr = c.done_chan ORDER BY w.goid))
         AS waiter_goids,
       (SELECT group_concat(goid, ',') FROM (
          SELECT DISTINCT gc.goid FROM goroutine_context_base AS gc INDEXED BY goroutine_context_by_ctx
           WHERE gc.incident_id = b.incident_id AND gc.ctx_addr = b.addr ORDER BY gc.goid))
         AS holder_goids,
       -- how / 2: goroutine_context.evidence (store/schema.sql, version 12);
       -- 2 and 4 are the '...-unverified' ones.
       (SELECT CASE gc.how / 2 WHEN 1 THEN 'dwarf-live' WHEN 2 THEN 'dwarf-unverified'
                               WHEN 3 THEN 'stack-scan-live'
                               WHEN 4 THEN 'stack-scan-unverified' END
          FROM goroutine_context_base AS gc INDEXED BY goroutine_context_by_ctx
         WHERE gc.incident_id = b.incident_id AND gc.ctx_addr = b.addr
         ORDER BY gc.how / 2 IN (2, 4), gc.goid LIMIT 1)
         AS evidence
  FROM broken AS b
  JOIN context AS c ON c.incident_id = b.incident_id AND c.addr = b.addr
  LEFT JOIN context AS k ON k.incident_id = b.incident_id AND k.addr = b.break_addr;
