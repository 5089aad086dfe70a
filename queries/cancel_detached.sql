-- SPDX-License-Identifier: Apache-2.0
-- cancel_detached: contexts cut off from a canceled ancestor on purpose.
--
-- What: a context.WithoutCancel context whose ancestor (reached through
--   delegating contexts) is canceled, and the goroutines holding it or any
--   context derived from it (a WithCancel child of it lives on too).
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
-- @column holder_goids: goroutines holding it or a context below it,
--   comma-separated in goid order; NULL if none
-- @column evidence: how the best of those holdings was established
--   (goroutine_context.evidence; one the stack maps vouch for, '...-live',
--   before an unverified one, then the smallest goid); NULL if none or
--   unknown (incidents stored before version 7)
-- @column below: contexts derived from it (found below it by parent links,
--   at most 1,000 levels down)
CREATE VIEW cancel_detached AS
WITH RECURSIVE detached (incident_id, addr, origin_addr, seed_addr, path) AS (
  SELECT incident_id, addr, origin_addr, seed_addr, path
    FROM _ctx_below_canceled WHERE kind = 'withoutCancel'
),
below (incident_id, top, addr, depth) AS (
  SELECT incident_id, addr, addr, 0 FROM detached
  UNION ALL
  SELECT b.incident_id, b.top, c.addr, b.depth + 1
    FROM below AS b
    JOIN context_base AS c INDEXED BY context_by_parent
      ON c.incident_id = b.incident_id AND c.parent_addr = b.addr
   WHERE b.depth < 1000
),
held (incident_id, top, goid, evidence) AS (
  SELECT b.incident_id, b.top, gc.goid,
         -- goroutine_context.evidence, as the view decodes it (store/schema.sql,
         -- version 12): the base table's index can be named.
         CASE gc.how / 2 WHEN 1 THEN 'dwarf-live' WHEN 2 THEN 'dwarf-unverified'
                         WHEN 3 THEN 'stack-scan-live' WHEN 4 THEN 'stack-scan-unverified'
                         END
    FROM below AS b
   CROSS JOIN goroutine_context_base AS gc INDEXED BY goroutine_context_by_ctx -- b first
      ON gc.incident_id = b.incident_id AND gc.ctx_addr = b.addr
)
SELECT d.incident_id AS incident_id,
       d.addr AS ctx_addr,
       d.origin_addr AS canceled_addr,
       d.seed_addr AS state_addr,
       d.path AS path,
       (SELECT group_concat(goid, ',') FROM (
          SELECT DISTINCT h.goid FROM held AS h
           WHERE h.incident_id = d.incident_id AND h.top = d.addr ORDER BY h.goid))
         AS holder_goids,
       (SELECT h.evidence FROM held AS h
         WHERE h.incident_id = d.incident_id AND h.top = d.addr
         ORDER BY COALESCE(h.evidence, '') LIKE '%-unverified', h.goid LIMIT 1)
         AS evidence,
       (SELECT count(*) - 1 FROM below AS b
         WHERE b.incident_id = d.incident_id AND b.top = d.addr) AS below
  FROM detached AS d;
