-- _ctx_canceled: private helper. Every canceled context with a state of its
-- own ('cancel', 'timer', 'afterFunc') and the node where its cancellation
-- started: walking up through contexts that delegate Err() ('value', 'stop',
-- and user types without a Done channel of their own: a struct embedding its
-- parent Context, whose Done and Err are the parent's, so WithCancel below it
-- registered with the parent and was canceled by it) and through canceled
-- ancestors, the outermost canceled one.
--
-- What: one row per canceled cancel/timer/afterFunc context of an incident.
-- Why: the cancel_* queries start from these nodes and walk down; the origin
--   tells a context canceled on its own from one canceled by its parent.
-- Example: SELECT printf('%#x', addr), printf('%#x', origin_addr)
--            FROM _ctx_canceled WHERE incident_id = 1;
--
-- @column incident_id: the incident (incident.id)
-- @column addr: the canceled context (context.addr)
-- @column origin_addr: the outermost canceled ancestor reached through
--   delegating or canceled contexts: where cancellation happened (addr itself
--   when its parent is live, a root, a user type with its own Done channel
--   or withoutCancel)
-- @column origin_steps: parent steps from addr up to origin_addr (0 = itself)
CREATE VIEW _ctx_canceled AS
WITH RECURSIVE up (incident_id, addr, cur, origin_addr, steps, origin_steps) AS (
  -- Seeds: read incident by incident through the primary key (SQLite does
  -- not push an outer "incident_id = ?" into a recursive CTE; CROSS JOIN
  -- keeps it from scanning every incident's contexts at once instead).
  SELECT c.incident_id, c.addr, c.parent_addr, c.addr, 0, 0
    FROM incident AS i
   CROSS JOIN context AS c ON c.incident_id = i.id
   WHERE c.canceled = 1 AND c.kind IN ('cancel', 'timer', 'afterFunc')
  UNION ALL
  SELECT up.incident_id, up.addr, p.parent_addr,
         CASE WHEN p.canceled = 1 THEN p.addr ELSE up.origin_addr END,
         up.steps + 1,
         CASE WHEN p.canceled = 1 THEN up.steps + 1 ELSE up.origin_steps END
    FROM up
    JOIN context AS p ON p.incident_id = up.incident_id AND p.addr = up.cur
   WHERE up.cur IS NOT NULL AND up.steps < 1000
     AND (p.kind IN ('value', 'stop')
          OR (p.kind = 'user' AND p.done_chan IS NULL)
          OR (p.canceled = 1 AND p.kind IN ('cancel', 'timer', 'afterFunc')))
)
SELECT incident_id, addr, origin_addr, max(origin_steps) AS origin_steps
  FROM up GROUP BY incident_id, addr;
