-- SPDX-License-Identifier: Apache-2.0
-- context_lock_wait: goroutines waiting on the internal mutex of a context.
--
-- What: per context, the goroutines blocked on its cancelCtx.mu (also the
--   one inside a timerCtx): sync_wait rows with ctx_addr set.
-- Why: many goroutines on one context's lock mean heavy cancellation
--   fan-out (thousands of children registering, or canceling, at once) or a
--   Done/Err call stuck behind a long cancel.
-- Example: SELECT printf('%#x', ctx_addr), waiters FROM context_lock_wait
--           WHERE incident_id = 1 ORDER BY waiters DESC;
--
-- @column incident_id: the incident (incident.id)
-- @column ctx_addr: the context (context.addr)
-- @column ctx_kind: its context.kind; NULL if the context row is missing
-- @column waiters: how many goroutines wait on its mutex
-- @column waiter_goids: their goids, comma-separated in increasing order
-- @column max_wait_minutes: the longest goroutine.wait_minutes among them
CREATE VIEW context_lock_wait AS
-- Read through sync_wait_by_ctx (incident_id, ctx_addr, goid...): the
-- groups come out with their goids sorted.
SELECT y.incident_id AS incident_id,
       y.ctx_addr AS ctx_addr,
       (SELECT c.kind FROM context AS c
         WHERE c.incident_id = y.incident_id AND c.addr = y.ctx_addr) AS ctx_kind,
       count(*) AS waiters,
       group_concat(y.goid, ',') AS waiter_goids,
       max(g.wait_minutes) AS max_wait_minutes
  FROM sync_wait AS y
  JOIN goroutine AS g ON g.incident_id = y.incident_id AND g.goid = y.goid
 WHERE y.ctx_addr IS NOT NULL
 GROUP BY y.incident_id, y.ctx_addr;
