-- SPDX-License-Identifier: Apache-2.0
-- wait_group: goroutines leaked together, all waiting on one object (or
-- the same few objects) that only they reach.
--
-- What: each component of kind 'group' of the wait-for graph computed at
--   ingest (wait_component): goroutines nothing able to run can wake, all
--   waiting on the same channel or sync primitive, which no package variable
--   and no goroutine outside the group reaches — an idle worker pool whose
--   producer returned without closing the channel, select loops abandoned
--   on their input and quit channels, or a lone goroutine on a channel only
--   it holds. One row per group, whatever its size; its
--   goroutines are also rows of leak_suspect. behind_goid names a stuck
--   goroutine outside that reaches the object: the group waits behind it
--   (a pile-up on a mutex whose holder is blocked), and that goroutine is
--   where to look.
-- Why: a thousand leaked workers are one bug, not a thousand.
-- Example: SELECT goroutines, obj_kind, func, line FROM wait_group
--            WHERE incident_id = 1 ORDER BY goroutines DESC;
--
-- @column incident_id: the incident (incident.id)
-- @column group_id: the group's component (wait_component.component_id)
-- @column goroutines: how many goroutines wait in it
-- @column obj_addr: the object they all wait on (the smallest address when
--   they all wait on several, as a select does)
-- @column obj_kind: 'chan', or sync_wait.kind ('sync.Mutex'...)
-- @column example_goid: its smallest goid
-- @column func: the example's innermost frame outside runtime, internal/ and
--   sync (the innermost frame if all are)
-- @column file: that frame's source file
-- @column line: that frame's source line
-- @column behind_goid: a stuck goroutine outside the group (the smallest
--   goid) that reaches the object; NULL if none
CREATE VIEW wait_group AS
SELECT wc.incident_id AS incident_id,
       wc.component_id AS group_id,
       wc.goroutines AS goroutines,
       wc.obj_addr AS obj_addr,
       CASE WHEN EXISTS (SELECT 1 FROM chan_wait AS w
                          WHERE w.incident_id = wc.incident_id AND w.goid = wc.example_goid
                            AND w.chan_addr = wc.obj_addr) THEN 'chan'
            ELSE (SELECT y.kind FROM sync_wait AS y
                   WHERE y.incident_id = wc.incident_id AND y.goid = wc.example_goid
                     AND y.addr = wc.obj_addr) END AS obj_kind,
       wc.example_goid AS example_goid,
       uf.func AS func,
       uf.file AS file,
       uf.line AS line,
       wc.behind_goid AS behind_goid
  FROM wait_component AS wc
 CROSS JOIN goroutine AS g ON g.incident_id = wc.incident_id AND g.goid = wc.example_goid
  LEFT JOIN _user_frame AS uf
    ON uf.incident_id = g.incident_id AND uf.stack_id = g.stack_id
 WHERE wc.kind = 'group';
