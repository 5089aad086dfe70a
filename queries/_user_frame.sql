-- _user_frame: where each stack of an incident blocks, as the findings name
-- it.
--
-- The stack's innermost frame outside runtime.*, internal/* and sync.*, or
-- its innermost frame if all of its frames are there: what leak_suspect,
-- long_wait and wait_group show as func, file and line. Joined on
-- (incident_id, stack_id), it reads that stack's frames only.
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
  FROM frame AS f
 WHERE f.depth = COALESCE((SELECT min(x.depth) FROM frame AS x
                            WHERE x.incident_id = f.incident_id AND x.stack_id = f.stack_id
                              AND x.func NOT GLOB 'runtime.*' AND x.func NOT GLOB 'internal/*'
                              AND x.func NOT GLOB 'sync.*'), 0);
