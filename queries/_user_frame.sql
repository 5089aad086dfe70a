-- SPDX-License-Identifier: Apache-2.0
-- _user_frame: where each stack of an incident blocks, as the findings name
-- it.
--
-- The stack's innermost frame outside runtime.*, internal/* and sync.*, or
-- its innermost frame if all of its frames are there: what leak_suspect,
-- long_wait and wait_group show as func, file and line. Joined on
-- (incident_id, stack_id), it reads that stack's row and one frame: the
-- depth is stack.user_depth, computed at ingest (or, for rows written
-- without it, looked for among the stack's frames).
--
-- @column incident_id: the incident (incident.id)
-- @column stack_id: the stack (stack.stack_id)
-- @column func: the frame's function
-- @column file: its source file
-- @column line: its source line
CREATE VIEW _user_frame AS
SELECT f.incident_id AS incident_id,
       f.stack_id AS stack_id,
       f.func AS func,
       f.file AS file,
       f.line AS line
  FROM stack AS sk
  JOIN frame AS f ON f.incident_id = sk.incident_id AND f.stack_id = sk.stack_id
 WHERE f.depth = COALESCE(sk.user_depth,
                          (SELECT min(x.depth) FROM frame AS x
                            WHERE x.incident_id = sk.incident_id AND x.stack_id = sk.stack_id
                              AND x.func NOT GLOB 'runtime.*' AND x.func NOT GLOB 'internal/*'
                              AND x.func NOT GLOB 'sync.*'), 0);
