-- goroutine_bucket: user goroutines grouped four ways, with counts and waits.
--
-- What: the user goroutines (is_system = 0) of an incident grouped by
--   identical stack ('stack': functions and lines), by the same functions
--   whatever the lines ('funcs'), by the function whose go statement created
--   them ('creator') and by pprof labels ('label'; goroutines with labels
--   only). One row per group.
-- Why: 100,000 goroutines read as a screenful: the big groups are the
--   pattern, the odd small ones the suspects.
-- Example: SELECT goroutines, bucket_key FROM goroutine_bucket
--           WHERE incident_id = 1 AND bucket_kind = 'funcs'
--           ORDER BY goroutines DESC LIMIT 10;
--
-- @column incident_id: the incident (incident.id)
-- @column bucket_kind: 'stack', 'funcs', 'creator' or 'label'
-- @column bucket_key: what the group shares: the frames innermost first as
--   "func:line < func:line ..." ('stack'), "func < func ..." ('funcs'), the
--   creating function or '(none)' ('creator'), the labels' JSON ('label')
-- @column goroutines: how many goroutines are in the group
-- @column min_wait_minutes: the shortest goroutine.wait_minutes in the group
--   (NULL if none is known)
-- @column max_wait_minutes: the longest
-- @column example_goid: the group's smallest goid
-- @column state: the wait reason or status shared by the group, or 'mixed'
CREATE VIEW goroutine_bucket AS
WITH per_stack AS (
  SELECT g.incident_id, g.stack_id, count(*) AS n,
         min(g.wait_minutes) AS min_wait, max(g.wait_minutes) AS max_wait,
         min(g.goid) AS example_goid,
         CASE WHEN min(COALESCE(g.wait_reason, g.status)) = max(COALESCE(g.wait_reason, g.status))
              THEN min(COALESCE(g.wait_reason, g.status)) ELSE 'mixed' END AS state
    FROM goroutine AS g INDEXED BY goroutine_by_stack
   WHERE g.is_system = 0
   GROUP BY g.incident_id, g.stack_id
),
keyed AS (
  SELECT p.*,
         (SELECT group_concat(COALESCE(f.func, '?') || ':' || COALESCE(f.line, '?'), ' < ')
            FROM (SELECT func, line FROM frame AS f
                   WHERE f.incident_id = p.incident_id AND f.stack_id = p.stack_id
                   ORDER BY f.depth) AS f) AS stack_key,
         (SELECT group_concat(COALESCE(f.func, '?'), ' < ')
            FROM (SELECT func FROM frame AS f
                   WHERE f.incident_id = p.incident_id AND f.stack_id = p.stack_id
                   ORDER BY f.depth) AS f) AS funcs_key
    FROM per_stack AS p
)
SELECT incident_id, 'stack' AS bucket_kind, stack_key AS bucket_key, n AS goroutines,
       min_wait AS min_wait_minutes, max_wait AS max_wait_minutes,
       example_goid, state
  FROM keyed
UNION ALL
SELECT incident_id, 'funcs', funcs_key, sum(n), min(min_wait), max(max_wait), min(example_goid),
       CASE WHEN min(state) = max(state) THEN min(state) ELSE 'mixed' END
  FROM keyed GROUP BY incident_id, funcs_key
UNION ALL
SELECT g.incident_id, 'creator', COALESCE(g.created_by_func, '(none)'), count(*),
       min(g.wait_minutes), max(g.wait_minutes), min(g.goid),
       CASE WHEN min(COALESCE(g.wait_reason, g.status)) = max(COALESCE(g.wait_reason, g.status))
            THEN min(COALESCE(g.wait_reason, g.status)) ELSE 'mixed' END
  FROM goroutine AS g WHERE g.is_system = 0
 GROUP BY g.incident_id, COALESCE(g.created_by_func, '(none)')
UNION ALL
SELECT g.incident_id, 'label', g.labels, count(*),
       min(g.wait_minutes), max(g.wait_minutes), min(g.goid),
       CASE WHEN min(COALESCE(g.wait_reason, g.status)) = max(COALESCE(g.wait_reason, g.status))
            THEN min(COALESCE(g.wait_reason, g.status)) ELSE 'mixed' END
  FROM goroutine AS g WHERE g.is_system = 0 AND g.labels IS NOT NULL
 GROUP BY g.incident_id, g.labels;
