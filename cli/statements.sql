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

-- STMT query_view
-- 'gocoroner query NAME': a view of the query library (queries/NAME.sql) for
-- one incident. {view} is replaced by the view's name, checked against the
-- library first.
SELECT * FROM "{view}" WHERE incident_id = ?1;

-- STMT report_findings
-- 'report' and 'analyze': the findings of one incident, computed once into
-- temporary tables (f_*) that the report_* statements read. Several
-- statements, run in order; the broken links without their goroutine lists,
-- which the report reads per bucket only.
DROP TABLE IF EXISTS temp.f_unobserved;
DROP TABLE IF EXISTS temp.f_broken;
DROP TABLE IF EXISTS temp.f_detached;
DROP TABLE IF EXISTS temp.f_leak;
DROP TABLE IF EXISTS temp.f_cycle;
DROP TABLE IF EXISTS temp.f_lock;
CREATE TEMP TABLE f_unobserved AS SELECT * FROM cancel_unobserved WHERE incident_id = ?1;
CREATE TEMP TABLE f_broken AS
  SELECT incident_id, ctx_addr, ctx_type, canceled_addr, break_addr, break_type, reason, path
    FROM cancel_broken_link WHERE incident_id = ?1;
CREATE TEMP TABLE f_detached AS SELECT * FROM cancel_detached WHERE incident_id = ?1;
CREATE TEMP TABLE f_leak AS SELECT * FROM leak_suspect WHERE incident_id = ?1;
CREATE TEMP TABLE f_cycle AS SELECT * FROM wait_cycle WHERE incident_id = ?1;
CREATE TEMP TABLE f_lock AS SELECT * FROM context_lock_wait WHERE incident_id = ?1;

-- STMT report_unobserved
-- 'report': goroutines blocked on a canceled context, bucketed by the place
-- that holds it (culprit frame) and the wait; biggest bucket first. The
-- example (smallest goid) gives the context chain; goids comma-separated in
-- increasing order; origins = distinct contexts where cancellation started.
SELECT func, file, line, var_name, wait_reason, min(canceled_addr) AS canceled_addr,
       count(*) AS n, min(goid) AS goid, max(wait_minutes) AS max_wait,
       group_concat(goid, ',') AS goids, min(ctx_addr) AS ctx_addr,
       min(err) AS err, min(cause) AS cause, min(found_by) AS found_by,
       count(DISTINCT canceled_addr) AS origins
  FROM (SELECT * FROM f_unobserved ORDER BY goid)
 GROUP BY func, file, line, var_name, wait_reason
 ORDER BY n DESC, goid;

-- STMT report_ctx_chain
-- 'report': a context and its ancestors (?2 = the context), up to and
-- including the context ?3 (where cancellation happened) or the root; at
-- most 64 steps.
WITH RECURSIVE up (addr, steps) AS (
  SELECT ?2, 0
  UNION ALL
  SELECT c.parent_addr, up.steps + 1
    FROM up JOIN context c ON c.incident_id = ?1 AND c.addr = up.addr
   WHERE c.parent_addr IS NOT NULL AND up.addr <> ?3 AND up.steps < 64
)
SELECT up.addr, c.kind, c.type_name, c.canceled, c.err, c.cause, c.value_key, c.value_text
  FROM up LEFT JOIN context c ON c.incident_id = ?1 AND c.addr = up.addr
 ORDER BY up.steps;

-- STMT report_broken_link
-- 'report': live contexts under a canceled ancestor, bucketed by why and by
-- the types involved; biggest bucket first, with the smallest context as
-- the example (its columns: SQLite takes bare columns from the min() row).
-- The goroutine lists are read for the example only (report_ctx_goroutines).
SELECT min(ctx_addr) AS ctx_addr, ctx_type, canceled_addr, break_addr, break_type, reason,
       path, count(*) AS n
  FROM f_broken
 GROUP BY reason, break_type, ctx_type
 ORDER BY n DESC, ctx_addr;

-- STMT report_ctx_goroutines
-- 'report': who waits on a context's Done channel (?2 = the context), and
-- who holds it; goids comma-separated in increasing order, NULL if none.
SELECT (SELECT group_concat(goid, ',') FROM (
          SELECT DISTINCT w.goid FROM chan_wait w INDEXED BY chan_wait_by_chan
           WHERE w.incident_id = ?1
             AND w.chan_addr = (SELECT done_chan FROM context WHERE incident_id = ?1 AND addr = ?2)
           ORDER BY w.goid)),
       (SELECT group_concat(goid, ',') FROM (
          SELECT DISTINCT gc.goid FROM goroutine_context gc INDEXED BY goroutine_context_by_ctx
           WHERE gc.incident_id = ?1 AND gc.ctx_addr = ?2 ORDER BY gc.goid));

-- STMT report_detached
-- 'report': WithoutCancel contexts under a canceled ancestor (informational),
-- the first 20 (report_detached_count says how many).
SELECT ctx_addr, canceled_addr, path, holder_goids
  FROM f_detached ORDER BY ctx_addr LIMIT 20;

-- STMT report_leaks
-- 'report': leak suspects bucketed by where they block and on what kind of
-- object; biggest bucket first. Goroutines of a wait cycle are reported
-- there, not here.
SELECT func, file, line, wait_reason, obj_kind, count(DISTINCT goid) AS n,
       min(goid) AS goid, max(wait_minutes) AS max_wait,
       group_concat(DISTINCT goid) AS goids, min(heap_complete) AS complete
  FROM (SELECT * FROM f_leak WHERE goid NOT IN (SELECT goid FROM f_cycle)
         ORDER BY goid)
 GROUP BY func, file, line, wait_reason, obj_kind
 ORDER BY n DESC, goid;

-- STMT report_cycles
-- 'report': wait cycles, edge by edge, with where each goroutine blocks.
SELECT c.cycle_id, c.goid, c.obj_addr, c.waker_goid, c.cycle_len,
       l.wait_reason, l.func, l.file, l.line
  FROM f_cycle c
  JOIN long_wait l ON l.incident_id = ?1 AND l.goid = c.goid
 ORDER BY c.cycle_id, c.position;

-- STMT report_lock_waits
-- 'report': contexts whose internal mutex goroutines wait on.
SELECT ctx_addr, ctx_kind, waiters, waiter_goids, max_wait_minutes
  FROM f_lock ORDER BY waiters DESC, ctx_addr;

-- STMT report_buckets
-- 'report': the largest groups of user goroutines with the same functions.
SELECT goroutines, state, min_wait_minutes, max_wait_minutes, example_goid, bucket_key
  FROM goroutine_bucket WHERE incident_id = ?1 AND bucket_kind = 'funcs'
 ORDER BY goroutines DESC, example_goid LIMIT 5;

-- STMT report_long_waits
-- 'report': the longest-waiting user goroutines.
SELECT goid, wait_reason, wait_minutes, func, file, line
  FROM long_wait WHERE incident_id = ?1 AND wait_minutes > 0
 ORDER BY wait_minutes DESC, goid LIMIT 5;

-- STMT report_counts
-- 'report --short' and 'analyze': how many findings of each kind (goroutines
-- for the goroutine-level queries, contexts for the context ones), and
-- whether the leak analysis ran; after report_findings.
SELECT (SELECT count(*) FROM f_unobserved),
       (SELECT count(*) FROM f_broken),
       (SELECT count(DISTINCT goid) FROM f_leak),
       (SELECT count(DISTINCT cycle_id) FROM f_cycle),
       (SELECT count(*) FROM f_detached),
       (SELECT count(*) FROM f_lock),
       (SELECT count(*) FROM heap_scan WHERE incident_id = ?1);

-- STMT graph_contexts
-- 'graph --contexts': every context with what the queries found about it:
-- canceled, broken link (its break), detached, and the goroutines blocked
-- on it while canceled.
SELECT c.addr, c.kind, c.type_name, c.parent_addr, c.canceled, c.err, c.value_key, c.value_text,
       b.break_addr, b.reason,
       EXISTS (SELECT 1 FROM cancel_detached d WHERE d.incident_id = ?1 AND d.ctx_addr = c.addr)
  FROM context c
  LEFT JOIN cancel_broken_link b ON b.incident_id = ?1 AND b.ctx_addr = c.addr
 WHERE c.incident_id = ?1 ORDER BY c.addr;

-- STMT graph_context_holders
-- 'graph --contexts': goroutines blocked while holding a canceled context.
SELECT goid, wait_reason, ctx_addr, func, line FROM cancel_unobserved
 WHERE incident_id = ?1 ORDER BY goid;

-- STMT graph_waits
-- 'graph --waits': every wait of a goroutine on a channel or primitive, with
-- whether the goroutine is a leak suspect or in a wait cycle.
SELECT w.goid, w.kind, w.addr, g.wait_reason, g.wait_minutes,
       EXISTS (SELECT 1 FROM leak_suspect l WHERE l.incident_id = ?1 AND l.goid = w.goid),
       EXISTS (SELECT 1 FROM wait_cycle y WHERE y.incident_id = ?1 AND y.goid = w.goid)
  FROM (SELECT goid, 'chan' AS kind, chan_addr AS addr FROM chan_wait WHERE incident_id = ?1
        UNION
        SELECT goid, kind, addr FROM sync_wait WHERE incident_id = ?1) AS w
  JOIN goroutine g ON g.incident_id = ?1 AND g.goid = w.goid
 ORDER BY w.addr, w.goid;

-- STMT graph_wakers
-- 'graph --waits': who else could wake the waiter: the goroutine reaching
-- the object (wait_reach.via_goid) or the blocked goroutines whose stacks
-- reach it (wait_waker); 'global' when a package variable does.
SELECT obj_addr, via_goid, 'reach' FROM wait_reach
 WHERE incident_id = ?1 AND reached_by = 'goroutine' AND via_goid IS NOT NULL
UNION
SELECT obj_addr, waker_goid, 'waker' FROM wait_waker WHERE incident_id = ?1
 ORDER BY 1, 2;
