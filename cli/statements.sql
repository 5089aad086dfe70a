-- statements.sql: the SQL the gocoroner command runs to print summaries,
-- listings and tracebacks. Each statement follows a line
-- "-- STMT name" and ends with the next one; ?1 is always the incident id.
-- They read only the documented schema (store/schema.sql), so any SQLite
-- client can run the same text.

-- STMT incident_info
-- One incident's header: what core, which executable, which Go.
SELECT id, core_path, exe_path, go_version, core_kind, signal, pid, cmdline,
       goroutine_count, ingested_at, now_source
  FROM incident WHERE id = ?1;

-- STMT status_counts
-- Goroutines by what they are doing: the wait reason when waiting, else the
-- status (Go's traceback prints the same word in brackets), user goroutines
-- and system goroutines counted apart.
SELECT COALESCE(wait_reason, status) AS state,
       SUM(is_system = 0) AS user_count,
       SUM(is_system = 1) AS system_count
  FROM goroutine WHERE incident_id = ?1
 GROUP BY state ORDER BY user_count DESC, system_count DESC, state;

-- STMT largest_stacks
-- The largest groups of goroutines with identical stacks (user goroutines),
-- with the innermost frame that is not in the runtime.
SELECT g.stack_id, COUNT(*) AS n,
       COALESCE(g.wait_reason, g.status) AS state,
       (SELECT f.func || ' (' || f.file || ':' || f.line || ')'
          FROM frame f
         WHERE f.incident_id = g.incident_id AND f.stack_id = g.stack_id
           AND f.func NOT LIKE 'runtime.%' AND f.func NOT LIKE 'internal/%'
         ORDER BY f.depth LIMIT 1) AS top
  FROM goroutine g
 WHERE g.incident_id = ?1 AND g.is_system = 0
 GROUP BY g.stack_id, state ORDER BY n DESC, g.stack_id LIMIT 10;

-- STMT goroutines
-- Every goroutine in id order, for listings and tracebacks.
SELECT goid, status, wait_reason, wait_minutes, creator_goid, created_by_func,
       created_by_file, created_by_line, created_by_pc_offset, start_func,
       is_system, thread_id, locked, labels, stack_id, stack_error
  FROM goroutine WHERE incident_id = ?1 ORDER BY goid;

-- STMT stack_frames
-- One stored stack, innermost frame first.
SELECT depth, func, file, line, inlined, pc_offset, wrapper
  FROM frame WHERE incident_id = ?1 AND stack_id = ?2 ORDER BY depth;

-- STMT incident_go_version
-- The Go release of an incident, which decides how its traceback is printed.
SELECT go_version FROM incident WHERE id = ?1;

-- STMT latest_incident
SELECT MAX(id) FROM incident;
