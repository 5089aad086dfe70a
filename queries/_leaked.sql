-- SPDX-License-Identifier: Apache-2.0
-- _leaked: private helper. The goroutines leak_suspect lists, as a set that
-- can be asked about one goroutine at a time: the same conditions (a heap
-- scan was done; a user goroutine, waiting or leaked; every object it waits
-- on unreached, or a wait on a nil channel or an empty select), read by
-- the goroutine's primary key. leak_suspect's own compound query cannot be
-- narrowed to one goroutine by SQLite, so a lookup in it per row computes
-- it anew: cancel_unobserved asks this view instead.
--
-- What: (incident_id, goid) of every goroutine leak_suspect reports.
-- Why: cancel_unobserved leaves out the victims of a leaked culprit.
-- Example: SELECT goid FROM _leaked WHERE incident_id = 1;
--
-- @column incident_id: the incident (incident.id)
-- @column goid: the leaked goroutine (goroutine.goid)
CREATE VIEW _leaked AS
SELECT g.incident_id AS incident_id,
       g.goid AS goid
  FROM goroutine AS g
 WHERE g.status IN ('waiting', 'leaked') AND g.is_system = 0
   AND EXISTS (SELECT 1 FROM heap_scan AS h WHERE h.incident_id = g.incident_id)
   AND ((EXISTS (SELECT 1 FROM wait_reach AS r
                  WHERE r.incident_id = g.incident_id AND r.goid = g.goid)
         AND NOT EXISTS (SELECT 1 FROM wait_reach AS o
                          WHERE o.incident_id = g.incident_id AND o.goid = g.goid
                            AND o.reached_by IS NOT NULL))
        OR g.wait_reason IN ('chan receive (nil chan)', 'chan send (nil chan)',
                             'select (no cases)'));
