-- SPDX-License-Identifier: Apache-2.0
-- wait_cycle: goroutines that wait on each other in a cycle (a deadlock).
--
-- What: the members of each component of kind 'cycle' of the wait-for graph
--   computed at ingest (wait_component, wait_member): goroutines nothing
--   able to run can wake, each waiting on an object (wait_reach) that only
--   another member reaches (wait_reacher), round two or more objects. The
--   graph and its strongly connected components are built in linear time,
--   so a cycle is found whatever the number of goroutines piled up beside
--   it; each cycle is listed once, its members in the order going round it
--   from the smallest goid. Goroutines all waiting on one object that only
--   they reach (an idle pool), or all on the same objects (abandoned select
--   loops), are no cycle: see wait_group.
-- Why: a deadlock among a few goroutines of a live process: Go's own
--   "all goroutines are asleep" check only fires when every goroutine is.
-- Example: SELECT cycle_id, goid, waker_goid FROM wait_cycle WHERE incident_id = 1;
--
-- @column incident_id: the incident (incident.id)
-- @column cycle_id: the cycle's number within the incident, 1, 2... in order
--   of its smallest goid (its wait_component.component_id: the cycles are
--   numbered first)
-- @column goid: a goroutine of the cycle
-- @column obj_addr: the object it waits on in the cycle (the smallest if several)
-- @column waker_goid: the next goroutine of the cycle, which reaches obj_addr:
--   the one that could wake it
-- @column position: the goroutine's place in the cycle, 0 for the smallest goid
-- @column cycle_len: the number of goroutines in the cycle
CREATE VIEW wait_cycle AS
SELECT wm.incident_id AS incident_id,
       wc.component_id AS cycle_id,
       wm.goid AS goid,
       wm.obj_addr AS obj_addr,
       wm.waker_goid AS waker_goid,
       wm.position AS position,
       wc.goroutines AS cycle_len
  FROM wait_component AS wc
 CROSS JOIN wait_member AS wm INDEXED BY wait_member_by_component
    ON wm.incident_id = wc.incident_id AND wm.component_id = wc.component_id
 WHERE wc.kind = 'cycle';
