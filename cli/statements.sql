-- SPDX-License-Identifier: Apache-2.0
-- statements.sql: the SQL the gocoroner command runs to print summaries,
-- listings and tracebacks. Each statement follows a line
-- "-- STMT name" and ends with the next one; ?1 is always the incident id.
-- They read only the documented schema (store/schema.sql), so any SQLite
-- client can run the same text.

-- STMT incident_info
-- One incident's header: what core, which executable, which Go, and when
-- the core was captured (and how that is known: captured_at_source); the
-- executable's name as the core records it (exe_name).
SELECT id, core_path, exe_path, go_version, core_kind, signal, pid, cmdline,
       goroutine_count, ingested_at, now_source, captured_at, captured_at_source, exe_name
  FROM incident WHERE id = ?1;

-- STMT degraded
-- Why the incident was read in a degraded mode, if it was: the 'stripped'
-- warning (an executable without DWARF, read with built-in layouts) says
-- which release's layouts were assumed and which tables are unavailable.
SELECT detail FROM diagnostic
 WHERE incident_id = ?1 AND what = 'stripped' AND severity = 'warning'
 ORDER BY id;

-- STMT status_counts
-- Goroutines by what they are doing: the wait reason when waiting, else the
-- status (Go's traceback prints the same word in brackets), user goroutines
-- and system goroutines counted apart. From the groups the ingest counted
-- (goroutine_group), not the goroutines one by one.
SELECT state,
       SUM(CASE WHEN is_system = 0 THEN goroutines ELSE 0 END) AS user_count,
       SUM(CASE WHEN is_system = 1 THEN goroutines ELSE 0 END) AS system_count
  FROM goroutine_group WHERE incident_id = ?1
 GROUP BY state ORDER BY user_count DESC, system_count DESC, state;

-- STMT largest_stacks
-- The largest groups of goroutines with identical stacks (user goroutines),
-- with where the user's code is (_user_frame: the innermost frame outside
-- runtime, internal/ and sync), the example (smallest goid), every function
-- of the stack innermost first, the creator they share (NULL when they do
-- not) and their shortest and longest waits in minutes: what tells two
-- groups at the same frame apart. Added up from goroutine_group, whose rows
-- split a (stack, state) group further by creator only.
SELECT s.stack_id, s.n, s.state, uf.func, uf.file, uf.line, s.goid,
       (SELECT group_concat(fr.func, ' < ')
          FROM (SELECT COALESCE(f.func, '?') AS func FROM frame AS f
                 WHERE f.incident_id = ?1 AND f.stack_id = s.stack_id
                 ORDER BY f.depth) AS fr) AS funcs,
       s.creator, s.min_wait, s.max_wait
  FROM (SELECT gg.stack_id, sum(gg.goroutines) AS n, gg.state, min(gg.example_goid) AS goid,
               CASE WHEN count(DISTINCT COALESCE(gg.creator, '')) = 1
                    THEN min(gg.creator) END AS creator,
               min(gg.min_wait_minutes) AS min_wait, max(gg.max_wait_minutes) AS max_wait
          FROM goroutine_group AS gg
         WHERE gg.incident_id = ?1 AND gg.is_system = 0
         GROUP BY gg.stack_id, gg.state ORDER BY n DESC, gg.stack_id, gg.state LIMIT 10) AS s
  LEFT JOIN _user_frame AS uf ON uf.incident_id = ?1 AND uf.stack_id = s.stack_id
 ORDER BY s.n DESC, s.stack_id, s.state;

-- STMT goroutines
-- Every goroutine in id order, for listings and tracebacks.
SELECT goid, status, wait_reason, wait_minutes, creator_goid, created_by_func,
       created_by_file, created_by_line, created_by_pc_offset, start_func,
       is_system, thread_id, locked, labels, stack_id, stack_error
  FROM goroutine WHERE incident_id = ?1 ORDER BY goid;

-- STMT goroutine
-- One goroutine (?2 = goid), with the columns of 'goroutines': for
-- 'traceback --goid'.
SELECT goid, status, wait_reason, wait_minutes, creator_goid, created_by_func,
       created_by_file, created_by_line, created_by_pc_offset, start_func,
       is_system, thread_id, locked, labels, stack_id, stack_error
  FROM goroutine WHERE incident_id = ?1 AND goid = ?2;

-- STMT stack_frames
-- One stored stack, innermost frame first.
SELECT depth, func, file, line, inlined, pc_offset, wrapper
  FROM frame WHERE incident_id = ?1 AND stack_id = ?2 ORDER BY depth;

-- STMT incident_stack_frames
-- Every frame of every stack of an incident, by stack then depth, with the
-- stack's user_depth (the frame view _user_frame names; NULL in rows written
-- before schema version 10): 'goroutines' reads them once and looks each
-- goroutine's stack up, rather than querying its frames one goroutine at a
-- time.
SELECT f.stack_id, f.depth, f.func, f.file, f.line, s.user_depth
  FROM stack AS s
  JOIN frame AS f ON f.incident_id = s.incident_id AND f.stack_id = s.stack_id
 WHERE s.incident_id = ?1
 ORDER BY f.stack_id, f.depth;

-- STMT goroutine_frames
-- One goroutine's frames (?2 = goid), innermost first, with its stack's
-- user_depth (the user's frame, view _user_frame's), for 'frame' and
-- 'locals'.
SELECT f.depth, f.func, f.file, f.line, f.pc, f.pc_offset, f.inlined, s.user_depth
  FROM goroutine AS g
  JOIN stack AS s ON s.incident_id = g.incident_id AND s.stack_id = g.stack_id
  JOIN frame AS f ON f.incident_id = g.incident_id AND f.stack_id = g.stack_id
 WHERE g.incident_id = ?1 AND g.goid = ?2
 ORDER BY f.depth;

-- STMT frame_contexts
-- The contexts frame ?3 of goroutine ?2 holds: variable (with the field
-- path followed; NULL for a stack scan), context, how it was found.
SELECT var_name, ctx_addr, found_by, evidence
  FROM goroutine_context
 WHERE incident_id = ?1 AND goid = ?2 AND frame_depth = ?3
 ORDER BY seq;

-- STMT context_one
-- One context (?2 = its address), for printing it and walking up its
-- parents one at a time.
SELECT addr, kind, type_name, parent_addr, canceled, err, cause, deadline_unix_ns,
       value_key, value_text
  FROM context WHERE incident_id = ?1 AND addr = ?2;

-- STMT frame_waits
-- What goroutine ?2 waits on, for 'frame' and 'locals': each channel it is
-- queued on with the channel's element type, capacity, length and whether
-- it is closed, then the sync primitive or semaphore (kind 'sync.Mutex'...).
SELECT kind, addr, direction, in_select, queue_pos, elem_type, cap, len, closed FROM (
  SELECT 'chan' AS kind, w.chan_addr AS addr, w.direction AS direction,
         w.in_select AS in_select, w.queue_pos AS queue_pos, c.elem_type AS elem_type,
         c.cap AS cap, c.len AS len, c.closed AS closed
    FROM chan_wait AS w
    LEFT JOIN channel AS c ON c.incident_id = w.incident_id AND c.addr = w.chan_addr
   WHERE w.incident_id = ?1 AND w.goid = ?2
  UNION ALL
  SELECT kind, addr, NULL, NULL, NULL, NULL, NULL, NULL, NULL
    FROM sync_wait WHERE incident_id = ?1 AND goid = ?2)
 ORDER BY kind <> 'chan', addr, direction;

-- STMT frame_defers
-- The deferred calls frame ?3 of goroutine ?2 registered, in the order the
-- goroutine will run them (seq: its place among all of the goroutine's).
SELECT seq, func, kind
  FROM defer_call
 WHERE incident_id = ?1 AND goid = ?2 AND frame_depth = ?3
 ORDER BY seq;

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
-- primary key than look rows up through chan_wait_by_chan: name the index
-- (on chan_wait_base, whose direction is 0 for 'recv', 1 for 'send').
SELECT w.goid,
       CASE w.direction WHEN 0 THEN 'recv' WHEN 1 THEN 'send' ELSE w.direction END,
       w.in_select, w.queue_pos,
       COALESCE(g.wait_reason, g.status) AS state, g.wait_minutes, g.stack_id
  FROM chan_wait_base w INDEXED BY chan_wait_by_chan
  JOIN goroutine g ON g.incident_id = w.incident_id AND g.goid = w.goid
 WHERE w.incident_id = ?1 AND w.chan_addr = ?2
 ORDER BY w.direction = 0, w.queue_pos < 0, w.queue_pos, w.goid;

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
-- The Go release of an incident, which decides how its traceback is printed,
-- and whether the process's traceback printed pprof labels (NULL: unknown).
SELECT go_version, traceback_labels FROM incident WHERE id = ?1;

-- STMT latest_incident
SELECT MAX(id) FROM incident;

-- STMT contexts
-- Every context of an incident, for drawing the trees, with where it was
-- found when no frame holds it ("package variable main.current").
SELECT addr, kind, type_name, parent_addr, canceled, err, cause, deadline_unix_ns,
       value_key, value_text, timer_pending, done_closed,
       CASE found_in WHEN 'global' THEN 'package variable ' || found_at
                     WHEN 'chan buffer' THEN 'the buffer of channel ' || found_at
                     WHEN 'map' THEN 'a map reached from ' || found_at
                     WHEN 'heap' THEN 'the heap, reached from ' || found_at END
  FROM context WHERE incident_id = ?1 ORDER BY addr;

-- STMT contexts_count
-- How many contexts the statement contexts will read, to size its array.
SELECT count(*) FROM context WHERE incident_id = ?1;

-- STMT context_holders
-- Who holds which context: the goroutine, the frame's function and the
-- variable (NULL function or variable when a stack scan found it), how it
-- was found and established (evidence; NULL before schema version 7).
SELECT gc.ctx_addr, gc.goid, f.func, gc.var_name, gc.found_by, gc.evidence
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
DROP TABLE IF EXISTS temp.f_victim;
DROP TABLE IF EXISTS temp.f_chain;
CREATE TEMP TABLE f_unobserved AS SELECT * FROM cancel_unobserved WHERE incident_id = ?1;
CREATE TEMP TABLE f_broken AS
  SELECT incident_id, ctx_addr, ctx_type, canceled_addr, break_addr, break_type, reason, path
    FROM cancel_broken_link WHERE incident_id = ?1;
CREATE TEMP TABLE f_detached AS SELECT * FROM cancel_detached WHERE incident_id = ?1;
CREATE TEMP TABLE f_leak AS SELECT * FROM leak_suspect WHERE incident_id = ?1;
CREATE TEMP TABLE f_cycle AS SELECT * FROM wait_cycle WHERE incident_id = ?1;
CREATE TEMP TABLE f_lock AS SELECT * FROM context_lock_wait WHERE incident_id = ?1;
-- The goroutines stuck behind a goroutine these findings report, shown
-- under its finding (report_victims) rather than as findings of their own.
-- (stuck_behind's rows without their frames: report_victims finds the frame
-- once per stack, not once per goroutine.)
CREATE TEMP TABLE f_victim AS
  SELECT b.culprit_goid, b.goid, g.wait_reason, g.stack_id
    FROM goroutine_blocker AS b
    JOIN goroutine AS g ON g.incident_id = b.incident_id AND g.goid = b.goid
   WHERE b.incident_id = ?1
     AND (b.culprit_goid IN (SELECT goid FROM f_unobserved)
          OR b.culprit_goid IN (SELECT goid FROM f_leak));
-- How many contexts the report shows for the example (smallest goid) of
-- each report_unobserved bucket: from the context it holds up to where
-- cancellation happened (report_ctx_chain walks the same steps, at most 64).
-- The deepest chains are reported first among equals.
CREATE TEMP TABLE f_chain AS
  WITH RECURSIVE up (goid, addr, origin, steps) AS (
    SELECT goid, ctx_addr, canceled_addr, 1 FROM f_unobserved
     WHERE goid IN (SELECT min(goid) FROM f_unobserved
                     GROUP BY func, file, line, var_name, wait_reason)
    UNION ALL
    SELECT up.goid, c.parent_addr, up.origin, up.steps + 1
      FROM up JOIN context AS c ON c.incident_id = ?1 AND c.addr = up.addr
     WHERE c.parent_addr IS NOT NULL AND up.addr <> up.origin AND up.steps < 64)
  SELECT goid, max(steps) AS contexts FROM up GROUP BY goid;

-- STMT report_unobserved
-- 'report': goroutines blocked on a canceled context, bucketed by the place
-- that holds it (culprit frame) and the wait. The example is the bucket's
-- smallest goid, and every column about a context is that goroutine's own
-- (context, origin, error, how it was found), so the chain shown is the
-- example's. goids comma-separated in increasing order; origins = distinct
-- contexts where cancellation started, contexts = distinct contexts held;
-- probable = 1 when every goroutine's holding is unverified (its frame had
-- no usable stack maps: goroutine_context.evidence); victims = goroutines
-- stuck behind the bucket's (f_victim); chain = contexts from the example's
-- to its origin (f_chain); behind = the goroutine the example is itself
-- stuck behind (goroutine_blocker: a culprit no finding reports), with its
-- state and where it is. ?2 = 0 for the buckets stuck behind nobody, 1 for
-- the others. Most victims first, then the deepest chain, then the biggest.
WITH b AS (
  SELECT func, file, line, var_name, wait_reason, count(*) AS n, min(goid) AS goid,
         max(wait_minutes) AS max_wait, group_concat(goid, ',') AS goids,
         count(DISTINCT canceled_addr) AS origins, count(DISTINCT ctx_addr) AS contexts,
         min(COALESCE(evidence, '') LIKE '%-unverified') AS probable
    FROM (SELECT * FROM f_unobserved ORDER BY goid)
   GROUP BY func, file, line, var_name, wait_reason),
v AS (
  SELECT u.func, u.file, u.line, u.var_name, u.wait_reason, count(*) AS victims
    FROM f_victim AS fv JOIN f_unobserved AS u ON u.goid = fv.culprit_goid
   GROUP BY u.func, u.file, u.line, u.var_name, u.wait_reason)
SELECT b.func, b.file, b.line, b.var_name, b.wait_reason, u.canceled_addr,
       b.n, b.goid, b.max_wait, b.goids, u.ctx_addr,
       u.err, u.cause, u.found_by, b.origins, b.probable,
       COALESCE(v.victims, 0) AS victims, COALESCE(ch.contexts, 1) AS chain, b.contexts,
       gb.culprit_goid AS behind, COALESCE(cg.wait_reason, cg.status) AS behind_state,
       cf.func AS behind_func, cf.file AS behind_file, cf.line AS behind_line
  FROM b
  JOIN f_unobserved AS u ON u.goid = b.goid
  LEFT JOIN v ON v.func IS b.func AND v.file IS b.file AND v.line IS b.line
             AND v.var_name IS b.var_name AND v.wait_reason IS b.wait_reason
  LEFT JOIN f_chain AS ch ON ch.goid = b.goid
  LEFT JOIN goroutine_blocker AS gb ON gb.incident_id = ?1 AND gb.goid = b.goid
  LEFT JOIN goroutine AS cg ON cg.incident_id = ?1 AND cg.goid = gb.culprit_goid
  LEFT JOIN _user_frame AS cf ON cf.incident_id = ?1 AND cf.stack_id = cg.stack_id
 WHERE (gb.culprit_goid IS NOT NULL) = ?2
 ORDER BY victims DESC, chain DESC, b.n DESC, b.goid;

-- STMT report_victims
-- 'report': the goroutines stuck behind those of one finding (?2: their
-- goids, comma-separated), by wait reason and where they block; biggest
-- first; total: all of them.
SELECT sum(v.n) AS n, v.wait_reason, uf.func, sum(sum(v.n)) OVER () AS total
  FROM (SELECT wait_reason, stack_id, count(*) AS n, min(goid) AS goid FROM f_victim
         WHERE instr(',' || ?2 || ',', ',' || culprit_goid || ',') > 0
         GROUP BY wait_reason, stack_id) AS v
  LEFT JOIN _user_frame AS uf ON uf.incident_id = ?1 AND uf.stack_id = v.stack_id
 GROUP BY v.wait_reason, uf.func
 ORDER BY n DESC, min(v.goid);

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
          SELECT DISTINCT w.goid FROM chan_wait_base w INDEXED BY chan_wait_by_chan
           WHERE w.incident_id = ?1
             AND w.chan_addr = (SELECT done_chan FROM context WHERE incident_id = ?1 AND addr = ?2)
           ORDER BY w.goid)),
       (SELECT group_concat(goid, ',') FROM (
          SELECT DISTINCT gc.goid FROM goroutine_context_base gc INDEXED BY goroutine_context_by_ctx
           WHERE gc.incident_id = ?1 AND gc.ctx_addr = ?2 ORDER BY gc.goid));

-- STMT report_detached
-- 'report': WithoutCancel contexts under a canceled ancestor (informational),
-- the first 20 (report_detached_count says how many).
SELECT ctx_addr, canceled_addr, path, holder_goids
  FROM f_detached ORDER BY ctx_addr LIMIT 20;

-- STMT report_leaks
-- 'report': leak suspects bucketed by where they block and on what kind of
-- object; behind: the stuck goroutine the example's wait group waits behind
-- (wait_component.behind_goid); proven: 0 when some goroutine of the bucket
-- is only a probable leak (leak_suspect.evidence); victims: the goroutines
-- stuck behind the bucket's (f_victim). ?2 = 1 for the buckets with victims
-- (culprits, reported first), 0 for the others. Most victims first, then the
-- biggest bucket. Goroutines of a wait cycle are reported there, not here; those
-- stuck behind a reported goroutine (f_victim) under its finding.
SELECT x.*,
       (SELECT c.behind_goid FROM wait_member AS m
          JOIN wait_component AS c ON c.incident_id = m.incident_id
                                  AND c.component_id = m.component_id
         WHERE m.incident_id = ?1 AND m.goid = x.goid) AS behind,
       (SELECT count(*) FROM f_victim AS v
         WHERE v.culprit_goid IN (SELECT l.goid FROM f_leak AS l
                                   WHERE l.func IS x.func AND l.file IS x.file AND l.line IS x.line
                                     AND l.wait_reason IS x.wait_reason
                                     AND l.obj_kind IS x.obj_kind)) AS victims
  FROM (SELECT func, file, line, wait_reason, obj_kind, count(DISTINCT goid) AS n,
               min(goid) AS goid, max(wait_minutes) AS max_wait,
               group_concat(DISTINCT goid) AS goids, min(evidence = 'proven') AS proven
          FROM (SELECT * FROM f_leak WHERE goid NOT IN (SELECT goid FROM f_cycle)
                   AND goid NOT IN (SELECT goid FROM f_victim)
                 ORDER BY goid)
         GROUP BY func, file, line, wait_reason, obj_kind) AS x
 WHERE (victims > 0) = ?2
 ORDER BY victims DESC, n DESC, goid;

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
-- 'report': the largest groups of user goroutines with the same functions,
-- with where the example goroutine blocks (its user frame: _user_frame) and
-- how many groups there are in all.
SELECT b.goroutines, b.state, b.min_wait_minutes, b.max_wait_minutes, b.example_goid,
       b.bucket_key, uf.func, uf.file, uf.line, count(*) OVER () AS groups
  FROM goroutine_bucket AS b
  LEFT JOIN goroutine AS g ON g.incident_id = ?1 AND g.goid = b.example_goid
  LEFT JOIN _user_frame AS uf ON uf.incident_id = ?1 AND uf.stack_id = g.stack_id
 WHERE b.incident_id = ?1 AND b.bucket_kind = 'funcs'
 ORDER BY b.goroutines DESC, b.example_goid LIMIT 5;

-- STMT report_long_waits
-- 'report': the longest-waiting user goroutines.
SELECT goid, wait_reason, wait_minutes, func, file, line
  FROM long_wait WHERE incident_id = ?1 AND wait_minutes > 0
 ORDER BY wait_minutes DESC, goid LIMIT 5;

-- STMT report_counts
-- 'report --short' and 'analyze': how many findings of each kind (goroutines
-- for the goroutine-level queries, contexts for the context ones), and
-- whether the leak analysis ran; after report_findings. Leaked goroutines
-- come in groups: a wait_group's goroutines are one, a leaked goroutine in
-- none is one of its own; the members of wait cycles are counted with their
-- cycles, not as groups. Last, the goroutines stuck behind a reported one
-- that no finding counts itself (leak_suspect keeps its victims).
SELECT (SELECT count(*) FROM f_unobserved),
       (SELECT count(*) FROM f_broken),
       (SELECT count(DISTINCT goid) FROM f_leak),
       (SELECT count(DISTINCT cycle_id) FROM f_cycle),
       (SELECT count(*) FROM f_detached),
       (SELECT count(*) FROM f_lock),
       (SELECT count(*) FROM heap_scan WHERE incident_id = ?1),
       (SELECT count(DISTINCT goid) FROM f_cycle),
       (SELECT count(DISTINCT COALESCE('c' || m.component_id, 'g' || l.goid))
          FROM f_leak AS l
          LEFT JOIN wait_member AS m ON m.incident_id = ?1 AND m.goid = l.goid
         WHERE l.goid NOT IN (SELECT goid FROM f_cycle)),
       (SELECT count(*) FROM f_victim
         WHERE goid NOT IN (SELECT goid FROM f_unobserved));

-- STMT stored_counts
-- 'analyze' and 'report --short': report_counts' numbers, in its order, as
-- the ingest counted them (table incident_finding_count) from the same
-- evaluation of the finding views as incident_finding's rows, when the
-- incident's summary follows this gocoroner's definition (?2, its
-- STORE_SUMMARY_VERSION); no row otherwise, and report_findings with
-- report_counts computes them.
SELECT n.unobserved, n.broken_links, n.leaked, n.cycles, n.detached, n.lock_waits,
       n.heap_scanned, n.in_cycles, n.leak_groups, n.victims
  FROM incident_finding_count AS n
  JOIN incident AS i ON i.id = n.incident_id
 WHERE n.incident_id = ?1 AND i.summary_version = ?2;

-- STMT graph_context_marks
-- 'graph --contexts': what the queries found about contexts, read onto the
-- trees of the statement contexts: a broken link (the context, where its
-- chain breaks: 'broken') and contexts detached on purpose ('detached').
SELECT ctx_addr, break_addr, 'broken' FROM cancel_broken_link WHERE incident_id = ?1
UNION ALL
SELECT ctx_addr, NULL, 'detached' FROM cancel_detached WHERE incident_id = ?1;

-- STMT graph_context_holders
-- 'graph --contexts': goroutines blocked while holding a canceled context.
SELECT goid, wait_reason, ctx_addr, func, line FROM cancel_unobserved
 WHERE incident_id = ?1 ORDER BY goid;

-- STMT graph_waits
-- 'graph --waits': every wait of a goroutine on a channel or primitive, by
-- object, with the goroutine's stack, whether it is stuck (a heap scan ran
-- and none of its waits was reached) and its wait component. One pass over
-- the waits: gocoroner folds them into nodes in C.
SELECT w.addr, w.kind, w.goid, g.stack_id, g.wait_reason,
       EXISTS (SELECT 1 FROM wait_reach AS r WHERE r.incident_id = ?1 AND r.goid = w.goid)
         AND NOT EXISTS (SELECT 1 FROM wait_reach AS r WHERE r.incident_id = ?1
                            AND r.goid = w.goid AND r.reached_by IS NOT NULL),
       m.component_id, c.kind
  FROM (SELECT goid, 'chan' AS kind, chan_addr AS addr FROM chan_wait WHERE incident_id = ?1
        UNION
        SELECT goid, kind, addr FROM sync_wait WHERE incident_id = ?1) AS w
  JOIN goroutine AS g ON g.incident_id = ?1 AND g.goid = w.goid
  LEFT JOIN wait_member AS m ON m.incident_id = ?1 AND m.goid = w.goid
  LEFT JOIN wait_component AS c ON c.incident_id = ?1 AND c.component_id = m.component_id
 ORDER BY w.addr, w.goid;

-- STMT graph_wakers
-- 'graph --waits': who else could wake the waiters of an object: the
-- goroutine whose stack reached it in the marking (wait_reach.via_goid),
-- the stuck goroutines whose stacks reach it (wait_reacher); with the
-- goroutine's state (wait reason, else status) and stack, for its label.
SELECT w.obj_addr, w.goid, COALESCE(g.wait_reason, g.status), g.stack_id
  FROM (SELECT obj_addr, via_goid AS goid FROM wait_reach
         WHERE incident_id = ?1 AND reached_by = 'goroutine' AND via_goid IS NOT NULL
        UNION
        SELECT obj_addr, goid FROM wait_reacher WHERE incident_id = ?1) AS w
  LEFT JOIN goroutine AS g ON g.incident_id = ?1 AND g.goid = w.goid
 ORDER BY 1, 2;

-- STMT graph_stack_frame
-- 'graph --waits': where a stack blocks, for a node's label: its innermost
-- user frame (package main, or a path whose first element has a dot, as
-- github.com/...), else its innermost frame outside runtime, internal/ and
-- sync (time.Sleep), else the innermost.
SELECT func, line FROM frame
 WHERE incident_id = ?1 AND stack_id = ?2
 ORDER BY NOT (func GLOB 'main.*'
               OR (instr(func, '/') > 0 AND substr(func, 1, instr(func, '/')) GLOB '*.*')),
          (func GLOB 'runtime.*' OR func GLOB 'internal/*' OR func GLOB 'sync.*'), depth
 LIMIT 1;

-- STMT incidents
-- 'incidents': the archive, one line per incident, oldest first (view
-- incident_summary; captured_from: where captured_at came from, 'file
-- name', 'option' or 'file mtime' (incident.captured_at_source); its finding counts are the incident_finding rows kept at
-- ingest, so no finding view runs here). leaks: leaked goroutines; cycles:
-- wait cycles (wait_component), in_cycles: their goroutines, as 'analyze'
-- and 'report' count them. No ?1.
SELECT incident_id AS id, name, captured_at,
       (SELECT captured_at_source FROM incident WHERE id = s.incident_id) AS captured_from,
       ingested_at, executable, build_id,
       go_version, goroutines, cancel_unobserved AS unobserved,
       cancel_broken_link AS broken_links, leak_suspect AS leaks,
       (SELECT count(*) FROM wait_component AS w
         WHERE w.incident_id = s.incident_id AND w.kind = 'cycle') AS cycles,
       wait_cycle AS in_cycles, cancel_detached AS detached,
       context_lock_wait AS lock_waits, tags, core_kept
  FROM incident_summary AS s ORDER BY incident_id;

-- STMT incidents_table
-- 'incidents' as a table for people: the columns of statement incidents
-- that tell incidents apart, within about 110 characters; the finding counts
-- of the bug kinds in one column (none: '-'), the info kinds and the build
-- id, ingest time and core flag left to --format csv and json. No ?1.
SELECT id, name,
       captured_at || coalesce(' (' || captured_from || ')', '') AS captured,
       executable, go_version AS go, goroutines,
       coalesce(nullif(rtrim(
         CASE WHEN unobserved > 0 THEN unobserved || ' unobserved, ' ELSE '' END ||
         CASE WHEN broken_links > 0 THEN broken_links || ' broken, ' ELSE '' END ||
         CASE WHEN leaks > 0 THEN leaks || ' leaked, ' ELSE '' END ||
         CASE WHEN cycles > 0 THEN cycles || CASE cycles WHEN 1 THEN ' cycle' ELSE ' cycles' END
              ELSE '' END, ', '), ''), '-') AS findings,
       tags
  FROM (SELECT incident_id AS id, name, captured_at,
               (SELECT captured_at_source FROM incident WHERE id = s.incident_id) AS captured_from,
               executable, go_version, goroutines, cancel_unobserved AS unobserved,
               cancel_broken_link AS broken_links, leak_suspect AS leaks,
               (SELECT count(*) FROM wait_component AS w
                 WHERE w.incident_id = s.incident_id AND w.kind = 'cycle') AS cycles,
               tags
          FROM incident_summary AS s)
 ORDER BY id;

-- STMT similar
-- 'similar': the other incidents sharing signature terms with incident ?1,
-- most similar first, at most ?2; only those captured before it (by
-- captured_at, then by id where a capture time is unknown or equal) unless
-- ?3 is 1. score is the weighted Jaccard index of the
-- two signatures, sum(min(weight)) / sum(max(weight)) over the terms of
-- either: since an absent term weighs 0, sum(max) = total(?1) + total(other)
-- - sum(min), and only shared terms need reading (through the term index).
-- shared: the three heaviest shared terms, by their smaller weight.
WITH me AS (SELECT term, weight FROM incident_signature WHERE incident_id = ?1),
mine AS (SELECT COALESCE(sum(weight), 0) AS w FROM me),
common AS (
  SELECT s.incident_id, sum(min(s.weight, me.weight)) AS wmin, count(*) AS terms
    FROM me
    JOIN incident_signature AS s INDEXED BY incident_signature_by_term ON s.term = me.term
   WHERE s.incident_id <> ?1
   GROUP BY s.incident_id),
theirs AS (
  SELECT c.incident_id, (SELECT sum(x.weight) FROM incident_signature AS x
                          WHERE x.incident_id = c.incident_id) AS w
    FROM common AS c)
SELECT i.id AS id, i.name AS name, i.captured_at AS captured_at,
       round(c.wmin / ((SELECT w FROM mine) + t.w - c.wmin), 3) AS score,
       c.terms AS shared_terms,
       (SELECT group_concat(term, ' | ') FROM (
          SELECT m.term FROM me AS m
            JOIN incident_signature AS y ON y.incident_id = i.id AND y.term = m.term
           ORDER BY min(m.weight, y.weight) DESC, m.term LIMIT 3)) AS shared
  FROM common AS c
  JOIN theirs AS t ON t.incident_id = c.incident_id
  JOIN incident AS i ON i.id = c.incident_id
 WHERE ?3 = 1
    OR COALESCE(i.captured_at < (SELECT captured_at FROM incident WHERE id = ?1)
                OR (i.captured_at = (SELECT captured_at FROM incident WHERE id = ?1)
                    AND i.id < ?1),
                i.id < ?1)
 ORDER BY score DESC, i.id
 LIMIT ?2;

-- STMT signature_size
-- 'similar': how many terms incident ?1's signature has (0: nothing to compare).
SELECT count(*) FROM incident_signature WHERE incident_id = ?1;

-- STMT diff_buckets
-- 'diff': groups of user goroutines by function names (view _stack_funcs:
-- no runtime frames, addresses or lines) whose size differs between
-- incident ?1 (A) and ?2 (B): 'appeared' (none in A), 'vanished' (none in
-- B), 'grew', 'shrank'; in that order, biggest change first.
WITH a AS (SELECT funcs, sum(goroutines) AS n FROM _stack_funcs WHERE incident_id = ?1
            GROUP BY funcs),
b AS (SELECT funcs, sum(goroutines) AS n FROM _stack_funcs WHERE incident_id = ?2
       GROUP BY funcs),
both_ AS (
  SELECT a.funcs, a.n AS na, COALESCE(b.n, 0) AS nb FROM a LEFT JOIN b ON b.funcs = a.funcs
  UNION ALL
  SELECT b.funcs, 0, b.n FROM b WHERE NOT EXISTS (SELECT 1 FROM a WHERE a.funcs = b.funcs))
SELECT CASE WHEN na = 0 THEN 'appeared' WHEN nb = 0 THEN 'vanished'
            WHEN nb > na THEN 'grew' ELSE 'shrank' END AS change,
       na AS a_goroutines, nb AS b_goroutines, funcs
  FROM both_ WHERE na <> nb
 ORDER BY CASE change WHEN 'appeared' THEN 0 WHEN 'vanished' THEN 1 WHEN 'grew' THEN 2 ELSE 3 END,
          abs(nb - na) DESC, funcs;

-- STMT diff_findings
-- 'diff': findings by kind, culprit and object (incident_finding) whose
-- count differs between incident ?1 (A) and ?2 (B): 'new', 'gone', 'more',
-- 'fewer'.
WITH a AS (SELECT kind, culprit, object, sum(count) AS n FROM incident_finding
            WHERE incident_id = ?1 GROUP BY kind, culprit, object),
b AS (SELECT kind, culprit, object, sum(count) AS n FROM incident_finding
       WHERE incident_id = ?2 GROUP BY kind, culprit, object),
both_ AS (
  SELECT a.kind, a.culprit, a.object, a.n AS na, COALESCE(b.n, 0) AS nb
    FROM a LEFT JOIN b ON b.kind = a.kind AND b.culprit IS a.culprit AND b.object IS a.object
  UNION ALL
  SELECT b.kind, b.culprit, b.object, 0, b.n FROM b
   WHERE NOT EXISTS (SELECT 1 FROM a WHERE a.kind = b.kind AND a.culprit IS b.culprit
                                       AND a.object IS b.object))
SELECT CASE WHEN na = 0 THEN 'new' WHEN nb = 0 THEN 'gone'
            WHEN nb > na THEN 'more' ELSE 'fewer' END AS change,
       na AS a_count, nb AS b_count, kind, culprit, object
  FROM both_ WHERE na <> nb
 ORDER BY CASE change WHEN 'new' THEN 0 WHEN 'gone' THEN 1 WHEN 'more' THEN 2 ELSE 3 END,
          kind, culprit, object;

-- STMT diff_contexts
-- 'diff': the shape of the context trees of incident ?1 (A) and ?2 (B):
-- contexts counted by kind and depth (0 for a root: a context whose parent
-- is unknown or not in the incident), with how many are canceled; only the
-- (kind, depth) pairs whose counts differ. Depth is followed at most 1,000
-- levels (a corrupt core cannot loop it: a context has one parent, so a
-- cycle has no root and is never entered).
WITH RECURSIVE d (incident_id, addr, depth) AS (
  SELECT c.incident_id, c.addr, 0 FROM context AS c
   WHERE c.incident_id IN (?1, ?2)
     AND (c.parent_addr IS NULL
          OR NOT EXISTS (SELECT 1 FROM context AS p
                          WHERE p.incident_id = c.incident_id AND p.addr = c.parent_addr))
  UNION ALL
  SELECT c.incident_id, c.addr, d.depth + 1
    FROM d JOIN context_base AS c INDEXED BY context_by_parent
      ON c.incident_id = d.incident_id AND c.parent_addr = d.addr
   WHERE d.depth < 1000),
shape AS (
  SELECT d.incident_id, c.kind, d.depth, count(*) AS n, sum(c.canceled = 1) AS canceled
    FROM d JOIN context AS c ON c.incident_id = d.incident_id AND c.addr = d.addr
   GROUP BY d.incident_id, c.kind, d.depth),
keys AS (SELECT DISTINCT kind, depth FROM shape)
SELECT k.kind AS kind, k.depth AS depth,
       COALESCE(a.n, 0) AS a_contexts, COALESCE(a.canceled, 0) AS a_canceled,
       COALESCE(b.n, 0) AS b_contexts, COALESCE(b.canceled, 0) AS b_canceled
  FROM keys AS k
  LEFT JOIN shape AS a ON a.incident_id = ?1 AND a.kind = k.kind AND a.depth = k.depth
  LEFT JOIN shape AS b ON b.incident_id = ?2 AND b.kind = k.kind AND b.depth = k.depth
 WHERE COALESCE(a.n, 0) <> COALESCE(b.n, 0) OR COALESCE(a.canceled, 0) <> COALESCE(b.canceled, 0)
 ORDER BY k.depth, k.kind;

-- STMT diff_header
-- 'diff': what each side is: incident ?1's name, capture time, executable
-- and Go release.
SELECT incident_id, name, captured_at, executable, go_version, goroutines
  FROM incident_summary WHERE incident_id = ?1;

-- STMT core_blob
-- 'core': the kept core of incident ?1, as stored (a zstd stream), with its
-- decompressed size; no row when it was not kept.
SELECT b.data, b.size, b.compression
  FROM incident AS i JOIN core_blob AS b ON b.sha256 = i.core_sha256
 WHERE i.id = ?1;
