-- cancel_detached: contexts cut off from a canceled ancestor on purpose.
--
-- What: a context.WithoutCancel context whose ancestor (reached through
--   delegating contexts) is canceled, and the goroutines holding it.
-- Why: informational, not a bug: work that must outlive the request (an
--   audit write, a cleanup) keeps running after the request is canceled.
--   Listed apart so that it is not mistaken for a broken link.
-- Example: SELECT printf('%#x', ctx_addr), holder_goids
--            FROM cancel_detached WHERE incident_id = 1;
--
-- @column incident_id: the incident (incident.id)
-- @column ctx_addr: the withoutCancel context (context.addr)
-- @column canceled_addr: where the ancestor's cancellation started
-- @column state_addr: the nearest canceled ancestor
-- @column path: the contexts from state_addr down to ctx_addr
-- @column holder_goids: goroutines holding it, comma-separated; NULL if none
-- @column evidence: how the best of those holdings was established
--   (goroutine_context.evidence; one the stack maps vouch for, '...-live',
--   before an unverified one, then the smallest goid); NULL if none or
--   unknown (incidents stored before version 7)
CREATE VIEW cancel_detached AS
SELECT b.incident_id AS incident_id,
       b.addr AS ctx_addr,
       b.origin_addr AS canceled_addr,
       b.seed_addr AS state_addr,
       b.path AS path,
       (SELECT group_concat(goid, ',') FROM (
          SELECT DISTINCT gc.goid FROM goroutine_context AS gc INDEXED BY goroutine_context_by_ctx
           WHERE gc.incident_id = b.incident_id AND gc.ctx_addr = b.addr ORDER BY gc.goid))
         AS holder_goids,
       (SELECT gc.evidence FROM goroutine_context AS gc INDEXED BY goroutine_context_by_ctx
         WHERE gc.incident_id = b.incident_id AND gc.ctx_addr = b.addr
         ORDER BY COALESCE(gc.evidence, '') LIKE '%-unverified', gc.goid LIMIT 1)
         AS evidence
  FROM _ctx_below_canceled AS b
 WHERE b.kind = 'withoutCancel';
