-- wait_cycle: leak suspects that wait on each other in a cycle.
--
-- What: goroutines of leak_suspect connected by wait_waker edges (G waits on
--   an object that only the stack of blocked goroutine W reaches) into a
--   cycle: each can only be woken by the next, and no other goroutine or
--   package variable can wake any of them (a deadlock). Cycles of up to 8
--   goroutines are found, exploring at most 100,000 partial paths (in a
--   graph denser than that, longer cycles may be missed); each is listed
--   once, edge by edge, starting from its smallest goid.
-- Why: a deadlock among a few goroutines of a live process: Go's own
--   "all goroutines are asleep" check only fires when every goroutine is.
-- Example: SELECT cycle_id, goid, waker_goid FROM wait_cycle WHERE incident_id = 1;
--
-- @column incident_id: the incident (incident.id)
-- @column cycle_id: the cycle's number within the incident, 1, 2... in order
--   of its smallest goid, then its path
-- @column goid: a goroutine of the cycle
-- @column obj_addr: the object it waits on that waker_goid reaches (the
--   smallest if several)
-- @column waker_goid: the next goroutine of the cycle: the one that could wake it
-- @column position: the goroutine's place in the cycle, 0 for the smallest goid
-- @column cycle_len: the number of goroutines in the cycle
CREATE VIEW wait_cycle AS
WITH RECURSIVE
sus AS (SELECT DISTINCT incident_id, goid FROM leak_suspect),
edge AS (
  SELECT w.incident_id, w.goid, w.waker_goid, min(w.obj_addr) AS obj_addr
    FROM heap_scan AS h
   CROSS JOIN wait_waker AS w ON w.incident_id = h.incident_id
   WHERE EXISTS (SELECT 1 FROM sus WHERE sus.incident_id = w.incident_id AND sus.goid = w.goid)
     AND EXISTS (SELECT 1 FROM sus WHERE sus.incident_id = w.incident_id AND sus.goid = w.waker_goid)
   GROUP BY w.incident_id, w.goid, w.waker_goid
),
walk (incident_id, start, goid, path, steps) AS (
  SELECT DISTINCT incident_id, goid, goid, goid, 1 FROM edge
  UNION ALL
  SELECT wk.incident_id, wk.start, e.waker_goid, wk.path || ',' || e.waker_goid, wk.steps + 1
    FROM walk AS wk
    JOIN edge AS e ON e.incident_id = wk.incident_id AND e.goid = wk.goid
   WHERE wk.steps < 8 AND e.waker_goid > wk.start
     AND instr(',' || wk.path || ',', ',' || e.waker_goid || ',') = 0
  -- A bound on the work, whatever the graph: 100,000 partial paths
  -- (breadth first, so short cycles are found first).
  LIMIT 100000
),
cycle AS (
  SELECT wk.incident_id, wk.path, wk.steps,
         dense_rank() OVER (PARTITION BY wk.incident_id ORDER BY wk.start, wk.path) AS cycle_id
    FROM walk AS wk
    JOIN edge AS e ON e.incident_id = wk.incident_id AND e.goid = wk.goid AND e.waker_goid = wk.start
),
member AS (
  SELECT cy.incident_id, cy.cycle_id, cy.steps, CAST(j.key AS INTEGER) AS position,
         CAST(j.value AS INTEGER) AS goid,
         CAST(json_extract('[' || cy.path || ']', '$[' || ((j.key + 1) % cy.steps) || ']') AS INTEGER)
           AS waker_goid
    FROM cycle AS cy, json_each('[' || cy.path || ']') AS j
)
SELECT m.incident_id AS incident_id,
       m.cycle_id AS cycle_id,
       m.goid AS goid,
       e.obj_addr AS obj_addr,
       m.waker_goid AS waker_goid,
       m.position AS position,
       m.steps AS cycle_len
  FROM member AS m
  JOIN edge AS e ON e.incident_id = m.incident_id AND e.goid = m.goid AND e.waker_goid = m.waker_goid;
