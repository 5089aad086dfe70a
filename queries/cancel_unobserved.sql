-- SPDX-License-Identifier: Apache-2.0
-- cancel_unobserved: goroutines blocked while a context they hold is canceled.
--
-- What: a user goroutine parked (channel, select, IO wait, sleep, mutex,
--   cond, semaphore...: status 'waiting', or 'leaked' after Go 1.26's leak
--   profile) holding a context whose Err() is non-nil: the context itself is
--   canceled, or it delegates Err() ('value', 'stop') up to a canceled
--   cancel/timer/afterFunc context. One row per goroutine, at the innermost
--   frame holding such a context. Goroutines queued on that context's Done
--   channel (about to wake) are left out. Only holdings whose stack word is
--   live at the frame's pc, or in a frame without usable stack maps, are
--   recorded (goroutine_context.evidence); a holding the maps vouch for is
--   preferred to an unverified one, then the innermost frame. A goroutine
--   whose only holdings are unverified is still reported, with evidence
--   '...-unverified': a probable finding (the report says so), not dropped,
--   since frames without maps are those the maps cannot clear either.
--   A goroutine stuck behind another (goroutine_blocker) is left out when
--   its culprit is reported too, here or by leak_suspect: it is the
--   culprit's symptom, listed by stuck_behind and counted under the
--   culprit's finding by 'report' ("N goroutines stuck behind it"). A
--   victim whose culprit no bug view reports stays: hiding it would hide
--   the incident.
-- Why: the work was canceled but the goroutine never looks at ctx.Done(): it
--   stays blocked, holding whatever it holds, until something else wakes it.
-- Example: SELECT goid, wait_reason, func, file, line, err
--            FROM cancel_unobserved WHERE incident_id = 1;
--
-- @column incident_id: the incident (incident.id)
-- @column goid: the blocked goroutine
-- @column status: goroutine.status ('waiting' or 'leaked')
-- @column wait_reason: goroutine.wait_reason, e.g. 'chan receive'
-- @column wait_minutes: goroutine.wait_minutes (NULL if unknown)
-- @column frame_depth: the innermost frame holding a canceled context
--   (goroutine_frame.depth); NULL when only a stack scan found it
-- @column func: that frame's function (NULL with frame_depth)
-- @column file: that frame's source file
-- @column line: that frame's source line
-- @column var_name: the variable holding the context ('ctx', 'r.ctx')
-- @column ctx_addr: the context held (context.addr)
-- @column ctx_kind: its context.kind
-- @column canceled_addr: the context where cancellation happened: the
--   outermost canceled ancestor of the one whose Err() ctx returns
-- @column state_addr: the canceled context whose Err() ctx returns (ctx_addr
--   itself unless it delegates)
-- @column err: Err() of ctx: 'context canceled', 'context deadline exceeded'
-- @column cause: context.Cause's text, when a cause was given
-- @column found_by: how the holding was found: 'dwarf' or 'stack-scan'
-- @column evidence: goroutine_context.evidence of the holding: 'dwarf-live',
--   'stack-scan-live' (the stack maps say its word is live at the frame's
--   pc), 'dwarf-unverified', 'stack-scan-unverified' (a frame without usable
--   maps: a probable finding); NULL for incidents stored before version 7
CREATE VIEW cancel_unobserved AS
-- The holdings read goroutine_context_base, whose index INDEXED BY can
-- name: its how holds found_by (how % 2: 0 'dwarf', 1 'stack-scan') and
-- evidence (how / 2; 2 and 4 are the '...-unverified' ones), decoded as
-- view goroutine_context does (store/schema.sql, version 12).
WITH held AS (
  SELECT b.incident_id, gc.goid, gc.frame_depth, gc.var_name, gc.ctx_addr,
         CASE gc.how % 2 WHEN 0 THEN 'dwarf' ELSE 'stack-scan' END AS found_by,
         CASE gc.how / 2 WHEN 1 THEN 'dwarf-live' WHEN 2 THEN 'dwarf-unverified'
                         WHEN 3 THEN 'stack-scan-live' WHEN 4 THEN 'stack-scan-unverified'
                         END AS evidence,
         b.seed_addr, b.origin_addr,
         row_number() OVER (PARTITION BY b.incident_id, gc.goid
                            ORDER BY gc.how / 2 IN (2, 4),
                                     gc.frame_depth IS NULL, gc.frame_depth,
                                     gc.how % 2, gc.ctx_addr) AS rank
    FROM _ctx_below_canceled AS b
    JOIN goroutine_context_base AS gc INDEXED BY goroutine_context_by_ctx
      ON gc.incident_id = b.incident_id AND gc.ctx_addr = b.addr
   WHERE b.depth = 0 OR (b.kind IN ('value', 'stop') AND b.user_addr IS NULL)
),
-- Every such goroutine, victims included: the victims' culprits are looked
-- up in it (used twice, so SQLite computes it once).
found AS (
SELECT g.incident_id AS incident_id,
       g.goid AS goid,
       g.status AS status,
       g.wait_reason AS wait_reason,
       g.wait_minutes AS wait_minutes,
       hd.frame_depth AS frame_depth,
       f.func AS func,
       f.file AS file,
       f.line AS line,
       hd.var_name AS var_name,
       hd.ctx_addr AS ctx_addr,
       c.kind AS ctx_kind,
       hd.origin_addr AS canceled_addr,
       hd.seed_addr AS state_addr,
       s.err AS err,
       COALESCE(s.cause, o.cause) AS cause,
       hd.found_by AS found_by,
       hd.evidence AS evidence
  FROM held AS hd
  JOIN goroutine AS g ON g.incident_id = hd.incident_id AND g.goid = hd.goid
  JOIN context AS c ON c.incident_id = hd.incident_id AND c.addr = hd.ctx_addr
  JOIN context AS s ON s.incident_id = hd.incident_id AND s.addr = hd.seed_addr
  LEFT JOIN context AS o ON o.incident_id = hd.incident_id AND o.addr = hd.origin_addr
  LEFT JOIN frame AS f ON f.incident_id = g.incident_id AND f.stack_id = g.stack_id
                      AND f.depth = hd.frame_depth
 WHERE hd.rank = 1
   AND g.status IN ('waiting', 'leaked') AND g.wait_reason IS NOT NULL AND g.is_system = 0
   AND NOT EXISTS (
     SELECT 1 FROM chan_wait AS w
      WHERE w.incident_id = g.incident_id AND w.goid = g.goid
        AND (w.chan_addr = s.done_chan OR w.chan_addr = c.done_chan)))
SELECT fo.* FROM found AS fo
 WHERE NOT EXISTS (
   SELECT 1 FROM goroutine_blocker AS vb
    WHERE vb.incident_id = fo.incident_id AND vb.goid = fo.goid
      AND (EXISTS (SELECT 1 FROM found AS fc
                    WHERE fc.incident_id = vb.incident_id AND fc.goid = vb.culprit_goid)
           OR EXISTS (SELECT 1 FROM _leaked AS lk -- leak_suspect's goroutines, by goid
                       WHERE lk.incident_id = vb.incident_id AND lk.goid = vb.culprit_goid)));
