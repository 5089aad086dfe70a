-- SPDX-License-Identifier: Apache-2.0
-- long_wait: waiting user goroutines and how long they have waited.
--
-- What: every user goroutine that is waiting ('waiting', or 'leaked' after
--   Go 1.26's leak profile), with its wait reason, its wait in minutes (as
--   Go's traceback prints it; NULL when the runtime never recorded when it
--   started) and its innermost frame outside the runtime.
-- Why: the longest waits are where a hang started; order by wait_minutes.
-- Example: SELECT goid, wait_reason, wait_minutes, func FROM long_wait
--           WHERE incident_id = 1 ORDER BY wait_minutes DESC LIMIT 20;
--
-- @column incident_id: the incident (incident.id)
-- @column goid: the goroutine
-- @column wait_reason: goroutine.wait_reason
-- @column wait_minutes: goroutine.wait_minutes (NULL if unknown)
-- @column func: its innermost frame outside runtime, internal/ and sync (the
--   innermost frame if all are)
-- @column file: that frame's source file
-- @column line: that frame's source line
-- @column status: goroutine.status
CREATE VIEW long_wait AS
SELECT g.incident_id AS incident_id,
       g.goid AS goid,
       g.wait_reason AS wait_reason,
       g.wait_minutes AS wait_minutes,
       uf.func AS func,
       uf.file AS file,
       uf.line AS line,
       g.status AS status
  FROM goroutine AS g
  LEFT JOIN _user_frame AS uf
    ON uf.incident_id = g.incident_id AND uf.stack_id = g.stack_id
 WHERE g.status IN ('waiting', 'leaked') AND g.is_system = 0;
