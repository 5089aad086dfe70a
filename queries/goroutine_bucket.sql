-- SPDX-License-Identifier: Apache-2.0
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
-- Each arm groups on incident_id, so SQLite pushes "incident_id = ?" into
-- it (a CTE shared by two arms would be computed for every incident). The
-- arms 'stack', 'funcs' and 'creator' add up the groups the ingest counted
-- (goroutine_group: one row per stack, state and creator), a few rows per
-- stack where the goroutines are 100,000; 'label' reads the goroutines.
SELECT ps.incident_id AS incident_id, 'stack' AS bucket_kind,
       (SELECT group_concat(COALESCE(fr.func, '?') || ':' || COALESCE(fr.line, '?'), ' < ')
          FROM (SELECT f.func, f.line FROM frame AS f
                 WHERE f.incident_id = ps.incident_id AND f.stack_id = ps.stack_id
                 ORDER BY f.depth) AS fr) AS bucket_key,
       ps.n AS goroutines, ps.min_wait AS min_wait_minutes, ps.max_wait AS max_wait_minutes,
       ps.example_goid AS example_goid, ps.state AS state
  FROM (SELECT gg.incident_id, gg.stack_id, sum(gg.goroutines) AS n,
               min(gg.min_wait_minutes) AS min_wait, max(gg.max_wait_minutes) AS max_wait,
               min(gg.example_goid) AS example_goid,
               CASE WHEN min(gg.state) = max(gg.state) THEN min(gg.state) ELSE 'mixed' END AS state
          FROM goroutine_group AS gg
         WHERE gg.is_system = 0
         GROUP BY gg.incident_id, gg.stack_id) AS ps
UNION ALL
SELECT pf.incident_id, 'funcs', pf.funcs_key, sum(pf.n), min(pf.min_wait), max(pf.max_wait),
       min(pf.example_goid),
       CASE WHEN min(pf.state) = max(pf.state) THEN min(pf.state) ELSE 'mixed' END
  -- Per stack first, then stacks with the same functions together. SQLite
  -- does not push "incident_id = ?" through the two levels of GROUP BY:
  -- this arm reads goroutine_group's rows of every incident (the query
  -- linter's allow-list says so), a few per stack.
  FROM (SELECT gg.incident_id, sum(gg.goroutines) AS n,
               min(gg.min_wait_minutes) AS min_wait, max(gg.max_wait_minutes) AS max_wait,
               min(gg.example_goid) AS example_goid,
               CASE WHEN min(gg.state) = max(gg.state) THEN min(gg.state) ELSE 'mixed' END AS state,
               (SELECT group_concat(COALESCE(fr.func, '?'), ' < ')
                  FROM (SELECT f.func FROM frame AS f
                         WHERE f.incident_id = gg.incident_id AND f.stack_id = gg.stack_id
                         ORDER BY f.depth) AS fr) AS funcs_key
          FROM goroutine_group AS gg
         WHERE gg.is_system = 0
         GROUP BY gg.incident_id, gg.stack_id) AS pf
 GROUP BY pf.incident_id, pf.funcs_key
UNION ALL
SELECT gg.incident_id, 'creator', COALESCE(gg.creator, '(none)'), sum(gg.goroutines),
       min(gg.min_wait_minutes), max(gg.max_wait_minutes), min(gg.example_goid),
       CASE WHEN min(gg.state) = max(gg.state) THEN min(gg.state) ELSE 'mixed' END
  FROM goroutine_group AS gg WHERE gg.is_system = 0
 GROUP BY gg.incident_id, COALESCE(gg.creator, '(none)')
UNION ALL
SELECT g.incident_id, 'label', g.labels, count(*),
       min(g.wait_minutes), max(g.wait_minutes), min(g.goid),
       CASE WHEN min(COALESCE(g.wait_reason, g.status)) = max(COALESCE(g.wait_reason, g.status))
            THEN min(COALESCE(g.wait_reason, g.status)) ELSE 'mixed' END
  FROM goroutine AS g WHERE g.is_system = 0 AND g.labels IS NOT NULL
 GROUP BY g.incident_id, g.labels;
