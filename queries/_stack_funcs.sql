-- SPDX-License-Identifier: Apache-2.0
-- _stack_funcs: each stack of an incident by function names only, with its
-- user goroutines.
--
-- The functions of a stack's frames, innermost first, joined by ' < ',
-- leaving out frames of runtime.*, internal/* and sync.* and compiler
-- wrappers: what a rebuild of the same code (other addresses, lines or Go
-- release) keeps, where those packages' own frames change from release to
-- release. Stacks with no other frame, and stacks no user goroutine has, are
-- left out. The signature (signature_term) and 'gocoroner diff' group
-- goroutines by it.
--
-- @column incident_id: the incident (incident.id)
-- @column stack_id: the stack (stack.stack_id)
-- @column goroutines: user goroutines (is_system = 0) with this stack, added
--   up from the groups the ingest counted (goroutine_group)
-- @column funcs: "FUNC < FUNC < ...", innermost first
CREATE VIEW _stack_funcs AS
SELECT ps.incident_id AS incident_id,
       ps.stack_id AS stack_id,
       ps.n AS goroutines,
       ps.funcs AS funcs
  -- Per stack, not per goroutine: goroutines share stacks, and "incident_id
  -- = ?" reaches the stack table's primary key through this subquery.
  FROM (SELECT st.incident_id, st.stack_id,
               (SELECT sum(gg.goroutines) FROM goroutine_group AS gg
                 WHERE gg.incident_id = st.incident_id AND gg.stack_id = st.stack_id
                   AND gg.is_system = 0) AS n,
               (SELECT group_concat(fr.func, ' < ')
                  FROM (SELECT f.func FROM frame AS f
                         WHERE f.incident_id = st.incident_id AND f.stack_id = st.stack_id
                           AND f.wrapper = 0 AND f.func IS NOT NULL
                           AND f.func NOT GLOB 'runtime.*' AND f.func NOT GLOB 'internal/*'
                           AND f.func NOT GLOB 'sync.*'
                         ORDER BY f.depth) AS fr) AS funcs
          FROM stack AS st) AS ps
 WHERE ps.n > 0 AND ps.funcs IS NOT NULL;
