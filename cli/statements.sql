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

-- STMT channel_info
-- One channel of the incident (?2 = its address, the hchan): what
-- 'goroutines --chan' prints above the goroutines queued on it. No row when
-- no goroutine of the incident waits on that channel.
SELECT elem_type, cap, len, closed, is_timer, send_waiters, recv_waiters
  FROM channel WHERE incident_id = ?1 AND addr = ?2;

-- STMT chan_waiters
-- The goroutines queued on one channel (?2 = its address), for
-- 'goroutines --chan': the send queue, then the receive queue, each in the
-- order the channel will wake them (queue_pos 0 first; -1, position unknown,
-- last), with each goroutine's state and stack for the listing. Without
-- statistics SQLite would rather range-scan the incident's whole chan_wait
-- primary key than look rows up through chan_wait_by_chan: name the index.
SELECT w.goid, w.direction, w.in_select, w.queue_pos,
       COALESCE(g.wait_reason, g.status) AS state, g.wait_minutes, g.stack_id
  FROM chan_wait w INDEXED BY chan_wait_by_chan
  JOIN goroutine g ON g.incident_id = w.incident_id AND g.goid = w.goid
 WHERE w.incident_id = ?1 AND w.chan_addr = ?2
 ORDER BY w.direction = 'recv', w.queue_pos < 0, w.queue_pos, w.goid;

-- STMT goroutine_waits
-- What one goroutine (?2 = goid) waits on, for 'traceback --waits': each
-- channel it is queued on (kind 'chan', direction, select, queue position),
-- then the sync primitive or semaphore, if any (kind 'sync.Mutex'...).
SELECT kind, addr, direction, in_select, queue_pos FROM (
  SELECT 'chan' AS kind, chan_addr AS addr, direction, in_select, queue_pos
    FROM chan_wait WHERE incident_id = ?1 AND goid = ?2
  UNION ALL
  SELECT kind, addr, NULL, NULL, NULL
    FROM sync_wait WHERE incident_id = ?1 AND goid = ?2)
 ORDER BY kind <> 'chan', addr, direction;

-- STMT incident_go_version
-- The Go release of an incident, which decides how its traceback is printed.
SELECT go_version FROM incident WHERE id = ?1;

-- STMT latest_incident
SELECT MAX(id) FROM incident;

-- STMT contexts
-- Every context of an incident, for drawing the trees.
SELECT addr, kind, type_name, parent_addr, canceled, err, cause, deadline_unix_ns,
       value_key, value_text, timer_pending, done_closed
  FROM context WHERE incident_id = ?1 ORDER BY addr;

-- STMT context_holders
-- Who holds which context: the goroutine, the frame's function and the
-- variable (NULL function or variable when a stack scan found it).
SELECT gc.ctx_addr, gc.goid, f.func, gc.var_name, gc.found_by
  FROM goroutine_context gc
  JOIN goroutine g ON g.incident_id = gc.incident_id AND g.goid = gc.goid
  LEFT JOIN frame f ON f.incident_id = g.incident_id AND f.stack_id = g.stack_id
                   AND f.depth = gc.frame_depth
 WHERE gc.incident_id = ?1
 ORDER BY gc.ctx_addr, gc.goid, gc.frame_depth;
