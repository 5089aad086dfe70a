-- SPDX-License-Identifier: Apache-2.0
-- schema.sql: the gocoroner database — every incident (one Go core file of
-- one executable) with the goroutines, stacks and diagnostics rebuilt from it.
-- This file is compiled into gocoroner (scripts/sql2c.sh → store_schema_sql)
-- and is the reference for anyone writing queries against the database.
--
-- Versions. The file is a list of numbered blocks, each starting with a line
-- "-- @version N". Block 1 creates the first schema; block N (N > 1) turns a
-- version N-1 database into version N. A new database runs every block in
-- order; an existing one runs the blocks above its PRAGMA user_version. After
-- each block gocoroner sets PRAGMA user_version = N in the same transaction,
-- so a database is always exactly at one version. Rules for editing:
--   * never change a block that has been released; append a new one;
--   * the last block's number is STORE_SCHEMA_VERSION in store/store.h;
--   * a block holds plain statements separated by ";" (no PRAGMA
--     user_version, no BEGIN/COMMIT: gocoroner runs it in a transaction).
-- PRAGMA application_id is set to 0x476f436f ("GoCo") so gocoroner can tell
-- its databases from other SQLite files.
--
-- Conventions, all tables:
--   * incident_id refers to incident.id; rows of an incident are written in
--     one transaction and never changed afterwards.
--   * NULL means "unknown" or "does not apply", never zero or "".
--   * Addresses and PCs are 64-bit values stored as SQLite's signed INTEGER
--     (same bits): printf('%#x', pc) prints them as Go does.
--   * Function and file names are the ones Go's own traceback prints
--     ("main.(*conn).Read", "/home/u/src/app/conn.go").
--   * Booleans are INTEGER 0 or 1.
--   * Text is valid UTF-8. Names, paths, labels and strings come from the
--     core or the executable as bytes: a byte that is not part of a valid
--     UTF-8 sequence is written as the four characters \xNN (two lowercase
--     hex digits), the rest as it is (a backslash stays one backslash).
--   * Times named *_ns are nanoseconds of the Go runtime's monotonic clock
--     (nanotime()), meaningful only relative to each other within one incident.
-- Tables are not STRICT so that sqlite3 clients older than 3.37 can read the
-- file; gocoroner binds each column with the type declared here.

-- @version 1

-- One row per ingested core: what was analysed, and with what.
CREATE TABLE incident (
  -- Incident number, assigned at ingest and increasing: the newest incident
  -- has the highest id.
  id INTEGER PRIMARY KEY,
  -- Path of the core file as given to gocoroner at ingest (may be compressed).
  core_path TEXT NOT NULL,
  -- SHA-256 of the core file: 64 lowercase hexadecimal digits.
  core_sha256 TEXT NOT NULL
    CHECK (length(core_sha256) = 64 AND core_sha256 NOT GLOB '*[^0-9a-f]*'),
  -- Path of the executable as given at ingest; NULL if unknown.
  exe_path TEXT,
  -- Build ID of the executable (text as the core module reports it); '' when
  -- the executable has none. With core_sha256 it identifies the incident: the
  -- same core analysed with the same executable is stored once.
  exe_build_id TEXT NOT NULL,
  -- Go release that built the executable (runtime.buildVersion), e.g.
  -- 'go1.22.3'.
  go_version TEXT,
  -- GOARCH of the process, e.g. 'amd64', 'arm64'.
  arch TEXT,
  -- Process id of the dumped process; NULL if the core does not say.
  pid INTEGER,
  -- Command line from the core (the kernel keeps at most 80 bytes of it).
  cmdline TEXT,
  -- Number of the signal that caused the dump (6 SIGABRT, 11 SIGSEGV...);
  -- NULL when there was none (gcore) or it is unknown.
  signal INTEGER,
  -- Who wrote the core: 'kernel' (the process crashed) or 'gcore' (a live
  -- process was dumped); NULL if unknown.
  core_kind TEXT CHECK (core_kind IN ('kernel', 'gcore')),
  -- When this row was written: ISO-8601 UTC, 'YYYY-MM-DDTHH:MM:SSZ'.
  ingested_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
  -- Version of gocoroner that wrote the incident, e.g. '0.1.0'.
  tool_version TEXT,
  -- Estimated nanotime() at the moment of the dump (ns, monotonic clock; see
  -- goroutine.wait_since_ns); NULL if it could not be estimated.
  now_ns INTEGER,
  -- How now_ns was estimated (free text from the goruntime module); NULL
  -- when now_ns is NULL.
  now_source TEXT,
  -- Module and build settings from .go.buildinfo, as `go version -m` prints
  -- them; '' when the executable has none.
  build_settings TEXT,
  -- Number of goroutine rows of this incident.
  goroutine_count INTEGER NOT NULL,
  UNIQUE (core_sha256, exe_build_id)
);

-- One row per distinct stack of an incident. Goroutines whose frames are
-- identical (same pc, pc_offset, func, file, line and inlined at every
-- depth) share one
-- stack, so a thousand goroutines parked in the same place cost one stack.
CREATE TABLE stack (
  incident_id INTEGER NOT NULL REFERENCES incident (id),
  -- Stack number within the incident: 1, 2, 3... in order of first use.
  stack_id INTEGER NOT NULL,
  -- Number of frames (frame rows with depth 0 .. depth-1); 0 when nothing
  -- could be unwound.
  depth INTEGER NOT NULL,
  PRIMARY KEY (incident_id, stack_id)
) WITHOUT ROWID;

-- The frames of each stack, innermost first. Inlined calls are frames too, as
-- in Go's traceback. The primary key is also the "frames of a stack" index.
CREATE TABLE frame (
  incident_id INTEGER NOT NULL,
  stack_id INTEGER NOT NULL,
  -- Position in the stack: 0 is the innermost frame (where the goroutine is
  -- running or blocked), depth+1 its caller, and so on outwards.
  depth INTEGER NOT NULL,
  -- Program counter: where the innermost frame stopped; for callers the
  -- return address. Inlined frames carry the pc of their physical frame.
  pc INTEGER NOT NULL,
  -- pc minus the entry of the physical function, the "+0x1d" Go prints after
  -- file:line of frames that are not inlined (inlined ones carry their
  -- physical frame's).
  pc_offset INTEGER NOT NULL,
  -- Function name, e.g. 'net/http.(*conn).serve'; NULL if not symbolized.
  func TEXT,
  -- Source file, absolute as recorded in the binary; NULL if unknown.
  file TEXT,
  -- Source line (1-based); NULL if unknown.
  line INTEGER,
  -- 1 if this frame is a call inlined into the function of the frame at
  -- depth+1 (same physical frame), else 0.
  inlined INTEGER NOT NULL CHECK (inlined IN (0, 1)),
  -- 1 if the function is a compiler-generated wrapper (FuncID_wrapper: a
  -- go statement's gowrapN, a defer's deferwrapN, a method value's -fm...),
  -- which Go's default traceback leaves out, else 0.
  wrapper INTEGER NOT NULL DEFAULT 0 CHECK (wrapper IN (0, 1)),
  PRIMARY KEY (incident_id, stack_id, depth),
  FOREIGN KEY (incident_id, stack_id) REFERENCES stack (incident_id, stack_id)
) WITHOUT ROWID;

-- No index on func: stacks are shared, so an incident has few frame rows
-- and "which stacks pass through F" reads them by the primary key's
-- incident_id prefix quickly; an index would slow every ingest
-- (bench/README.md).

-- One row per goroutine of an incident, as Go's traceback describes it
-- ("goroutine 17 [chan receive, 5 minutes, locked to thread]:").
CREATE TABLE goroutine (
  incident_id INTEGER NOT NULL REFERENCES incident (id),
  -- Goroutine id, as in "goroutine 17". Unique within an incident: if a
  -- corrupt core repeats one, the first is kept and a diagnostic row says so.
  goid INTEGER NOT NULL,
  -- Status name from the runtime's gStatusStrings: 'idle', 'runnable',
  -- 'running', 'syscall', 'waiting', 'dead', 'copystack', 'preempted'...;
  -- '???' for a value the runtime has no name for (as Go prints it).
  status TEXT NOT NULL,
  -- The raw status number (g.atomicstatus without the _Gscan bit).
  status_code INTEGER NOT NULL,
  -- Why it waits, from runtime.waitReasonStrings: 'chan receive', 'select',
  -- 'IO wait', 'sync.Mutex.Lock'...; Go's traceback prints it in place of
  -- status. NULL when there is none.
  wait_reason TEXT,
  -- g.waitsince: nanotime() when it started waiting (ns, compare with
  -- incident.now_ns); NULL if the runtime never set it.
  wait_since_ns INTEGER,
  -- Estimated whole minutes spent waiting, as in "[select, 5 minutes]";
  -- NULL if unknown.
  wait_minutes INTEGER,
  -- goid of the goroutine whose go statement created it (g.parentGoid,
  -- Go 1.21+); NULL if unknown.
  creator_goid INTEGER,
  -- The "created by F in goroutine N" line: function with the go statement,
  -- its file and line; NULL for goroutine 1 and when unknown.
  created_by_func TEXT,
  created_by_file TEXT,
  created_by_line INTEGER,
  -- The "+0x5b" after that line: the go statement's pc minus the entry of
  -- created_by_func; NULL when created_by_func is.
  created_by_pc_offset INTEGER,
  -- Function the goroutine started in (g.startpc); NULL if unknown.
  start_func TEXT,
  -- 1 for runtime-internal goroutines Go's default traceback hides
  -- (isSystemGoroutine; GOTRACEBACK=system shows them), else 0.
  is_system INTEGER NOT NULL CHECK (is_system IN (0, 1)),
  -- OS thread id (LWP) running it or blocked with it in a syscall; NULL if
  -- it was on no thread.
  thread_id INTEGER,
  -- 1 if locked to its thread (runtime.LockOSThread, g.lockedm), else 0.
  locked INTEGER NOT NULL CHECK (locked IN (0, 1)),
  -- pprof labels as a JSON object, e.g. '{"request":"42"}'; NULL if none.
  -- Read them with json_each(labels) or labels ->> '$.request'.
  labels TEXT,
  -- Its stack: stack(incident_id, stack_id) and the frame rows.
  stack_id INTEGER NOT NULL,
  -- Address of its runtime.g.
  g_addr INTEGER NOT NULL,
  -- Why unwinding stopped before the outermost frame; NULL if the stack is
  -- complete.
  stack_error TEXT,
  PRIMARY KEY (incident_id, goid),
  FOREIGN KEY (incident_id, stack_id) REFERENCES stack (incident_id, stack_id)
) WITHOUT ROWID;

-- "Which goroutines have this stack?" (grouping goroutines by stack).
CREATE INDEX goroutine_by_stack ON goroutine (incident_id, stack_id);
-- "Which goroutines wait on this?" (by wait reason).
CREATE INDEX goroutine_by_wait ON goroutine (incident_id, wait_reason);

-- Something gocoroner read but did not understand, or had to work around:
-- results of the incident may be incomplete there.
CREATE TABLE diagnostic (
  id INTEGER PRIMARY KEY,
  incident_id INTEGER NOT NULL REFERENCES incident (id),
  -- 'error' (data lost, e.g. a goroutine's stack could not be read),
  -- 'warning' (data doubtful or worked around) or 'info'.
  severity TEXT NOT NULL CHECK (severity IN ('error', 'warning', 'info')),
  -- Short kind, e.g. 'unwind', 'allgs', 'labels', 'goid'.
  what TEXT NOT NULL,
  -- One line for a human, naming the goroutine or address involved.
  detail TEXT
);

CREATE INDEX diagnostic_by_incident ON diagnostic (incident_id);

-- Channels that goroutines of the incident are queued on (issue: who waits
-- on what). One row per channel, whatever the number of waiters.
CREATE TABLE channel (
  incident_id INTEGER NOT NULL REFERENCES incident (id),
  -- Address of the channel (its runtime.hchan), as %p prints the chan value.
  addr INTEGER NOT NULL,
  -- Element type as Go names it: 'int', '*main.Request', 'time.Time';
  -- NULL when the binary's type data could not name it.
  elem_type TEXT,
  -- Capacity (make(chan T, cap)); 0 for unbuffered and for timer channels,
  -- which report 0 to cap() in Go 1.23+.
  cap INTEGER NOT NULL,
  -- Elements buffered now (len()); 0 for timer channels.
  len INTEGER NOT NULL,
  -- 1 once close() ran on it, else 0.
  closed INTEGER NOT NULL CHECK (closed IN (0, 1)),
  -- 1 for the channel of a time.Timer or Ticker made synchronous by Go 1.23+
  -- (hchan.timer set), else 0.
  is_timer INTEGER NOT NULL CHECK (is_timer IN (0, 1)),
  -- Goroutines in the channel's send queue / receive queue.
  send_waiters INTEGER NOT NULL,
  recv_waiters INTEGER NOT NULL,
  PRIMARY KEY (incident_id, addr)
) WITHOUT ROWID;

-- One row per goroutine per channel it is queued on: a plain send or
-- receive waits on one channel, a select on every non-nil channel of its
-- cases.
CREATE TABLE chan_wait (
  incident_id INTEGER NOT NULL REFERENCES incident (id),
  goid INTEGER NOT NULL,
  -- The channel (channel.addr).
  chan_addr INTEGER NOT NULL,
  -- 'send' if the goroutine is in the channel's send queue, 'recv' if in
  -- its receive queue (decided by which queue holds its sudog).
  direction TEXT NOT NULL CHECK (direction IN ('send', 'recv')),
  -- 1 if the wait is part of a select statement, else 0.
  in_select INTEGER NOT NULL CHECK (in_select IN (0, 1)),
  -- Position in that queue: 0 is woken first; -1 if the goroutine's sudog
  -- was not found in the channel's queue (a diagnostic says so).
  queue_pos INTEGER NOT NULL,
  PRIMARY KEY (incident_id, goid, chan_addr, direction)
) WITHOUT ROWID;

CREATE INDEX chan_wait_by_chan ON chan_wait (incident_id, chan_addr);

-- Goroutines waiting on a sync primitive or a runtime semaphore.
CREATE TABLE sync_wait (
  incident_id INTEGER NOT NULL REFERENCES incident (id),
  goid INTEGER NOT NULL,
  -- 'sync.Mutex', 'sync.RWMutex', 'sync.WaitGroup', 'sync.Cond', or
  -- 'semaphore' for another user of the runtime's semaphores.
  kind TEXT NOT NULL,
  -- Address of the primitive (what %p prints for &mu); for 'semaphore' the
  -- semaphore word itself.
  addr INTEGER NOT NULL,
  PRIMARY KEY (incident_id, goid, addr)
) WITHOUT ROWID;

CREATE INDEX sync_wait_by_addr ON sync_wait (incident_id, addr);

-- Each goroutine's pending deferred calls, in the order they will run.
CREATE TABLE defer_call (
  incident_id INTEGER NOT NULL REFERENCES incident (id),
  goid INTEGER NOT NULL,
  -- 0 runs first (the innermost frame's last registered defer).
  seq INTEGER NOT NULL,
  -- The function that will run, as Go names it: 'main.cleanup',
  -- 'main.(*conn).Close', 'main.handler.func1' (a closure).
  func TEXT,
  -- The frame that registered it: its depth in goroutine_frame; NULL if
  -- the frame could not be placed.
  frame_depth INTEGER,
  -- 'open-coded' (kept in the frame, no record), 'stack' or 'heap' (a
  -- _defer record), 'rangefunc' (registered from a range-over-func body).
  kind TEXT NOT NULL,
  PRIMARY KEY (incident_id, goid, seq)
) WITHOUT ROWID;

-- Panics in progress, innermost first.
CREATE TABLE panic (
  incident_id INTEGER NOT NULL REFERENCES incident (id),
  goid INTEGER NOT NULL,
  -- 0 is the most recent panic; 1 the one whose deferred call panicked...
  seq INTEGER NOT NULL,
  -- Dynamic type of the value passed to panic: 'string', '*errors.errorString'.
  value_type TEXT,
  -- The value as Go prints it: the string, the error's text, the number; for
  -- other types the type and address; NULL if it could not be read.
  value_text TEXT,
  -- 1 if recover() stopped it, 1 if a later panic aborted it (Go ≤ 1.21
  -- records this), 1 if it is runtime.Goexit rather than a panic.
  recovered INTEGER NOT NULL CHECK (recovered IN (0, 1)),
  aborted INTEGER NOT NULL CHECK (aborted IN (0, 1)),
  goexit INTEGER NOT NULL CHECK (goexit IN (0, 1)),
  PRIMARY KEY (incident_id, goid, seq)
) WITHOUT ROWID;

-- Every context.Context object found in the incident: held by a goroutine's
-- frame, or an ancestor or registered child of one that is.
CREATE TABLE context (
  incident_id INTEGER NOT NULL REFERENCES incident (id),
  -- Address of the object (the data word of the context.Context value).
  addr INTEGER NOT NULL,
  -- 'background', 'todo', 'cancel' (WithCancel, WithCancelCause), 'timer'
  -- (WithDeadline, WithTimeout), 'value', 'withoutCancel', 'afterFunc',
  -- 'stop' (the wrapper AfterFunc-aware parents get), or 'user' for a type
  -- outside package context.
  kind TEXT NOT NULL,
  -- Dynamic type as Go names it: '*context.cancelCtx', '*main.myCtx'.
  type_name TEXT,
  -- The context it was derived from (context.parent_addr → context.addr);
  -- NULL for a root, or when a user type's parent cannot be found.
  parent_addr INTEGER,
  -- Its Done channel (channel.addr if read); NULL if Done() was never
  -- called or the type has none.
  done_chan INTEGER,
  -- 1 if the Done channel is closed (or is context.closedchan), else 0.
  done_closed INTEGER NOT NULL CHECK (done_closed IN (0, 1)),
  -- 1 canceled, 0 not, NULL when it cannot be told (user-defined types).
  -- A value, withoutCancel or stop context is never canceled itself: see
  -- its ancestors (view context_ancestry).
  canceled INTEGER CHECK (canceled IN (0, 1)),
  -- Err(): 'context canceled', 'context deadline exceeded' or a custom
  -- error's text; NULL while not canceled.
  err TEXT,
  -- context.Cause's text when WithCancelCause gave one, else NULL.
  cause TEXT,
  -- timerCtx deadline, Unix nanoseconds (wall clock); NULL otherwise.
  deadline_unix_ns INTEGER,
  -- valueCtx key and value as Go would print them; NULL otherwise.
  value_key TEXT,
  value_text TEXT,
  -- timerCtx: 1 while its timer has yet to fire, 0 after (or stopped);
  -- NULL for other kinds.
  timer_pending INTEGER CHECK (timer_pending IN (0, 1)),
  PRIMARY KEY (incident_id, addr)
) WITHOUT ROWID;

CREATE INDEX context_by_parent ON context (incident_id, parent_addr);

-- Children registered in a cancelCtx's children map: the contexts its
-- cancel() will cancel. A live child under a canceled parent that is
-- missing here is a broken link.
CREATE TABLE context_child (
  incident_id INTEGER NOT NULL REFERENCES incident (id),
  parent_addr INTEGER NOT NULL,
  child_addr INTEGER NOT NULL,
  PRIMARY KEY (incident_id, parent_addr, child_addr)
) WITHOUT ROWID;

-- Which goroutine holds which context, in which frame.
CREATE TABLE goroutine_context (
  incident_id INTEGER NOT NULL REFERENCES incident (id),
  goid INTEGER NOT NULL,
  -- The frame (goroutine_frame.depth) whose variable holds it; NULL when a
  -- stack scan found it between frames.
  frame_depth INTEGER,
  -- The variable, with the field path followed: 'ctx', 'r.ctx'; NULL for a
  -- stack scan.
  var_name TEXT,
  ctx_addr INTEGER NOT NULL,
  -- 'dwarf' (a variable the debug info locates at the frame's pc) or
  -- 'stack-scan' (an interface value found on the live stack by its type
  -- word and validated, where optimized code left no location).
  found_by TEXT NOT NULL CHECK (found_by IN ('dwarf', 'stack-scan'))
);
-- No primary key: gocoroner writes each holding once, and a key over
-- (goid, ctx_addr, frame_depth, var_name) cost a third B-tree per row of a
-- table that can be long (bench/README.md).

CREATE INDEX goroutine_context_by_goid ON goroutine_context (incident_id, goid);

CREATE INDEX goroutine_context_by_ctx ON goroutine_context (incident_id, ctx_addr);

-- Every context with each of its ancestors and how far up: distance 1 is
-- the parent. Parent chains are followed at most 1,000 steps (a corrupt
-- core cannot loop the query).
CREATE VIEW context_ancestry AS
WITH RECURSIVE up (incident_id, addr, ancestor_addr, distance) AS (
  SELECT incident_id, addr, parent_addr, 1 FROM context WHERE parent_addr IS NOT NULL
  UNION ALL
  SELECT up.incident_id, up.addr, c.parent_addr, up.distance + 1
    FROM up JOIN context c ON c.incident_id = up.incident_id AND c.addr = up.ancestor_addr
   WHERE c.parent_addr IS NOT NULL AND up.distance < 1000
)
SELECT incident_id, addr, ancestor_addr, distance FROM up;

-- Each goroutine's frames, innermost first (depth 0), with the goroutine's
-- status: the rows of Go's traceback. Filter by incident_id (and goid) and
-- add "ORDER BY goid, depth": the primary keys give that order for free. The
-- view has no ORDER BY of its own, which would keep SQLite from flattening it
-- into aggregate queries (GROUP BY func would then read every frame).
CREATE VIEW goroutine_frame AS
SELECT g.incident_id AS incident_id,
       g.goid AS goid,
       f.depth AS depth,
       f.func AS func,
       f.file AS file,
       f.line AS line,
       f.pc AS pc,
       f.pc_offset AS pc_offset,
       f.inlined AS inlined,
       g.status AS status,
       g.wait_reason AS wait_reason
  FROM goroutine AS g
  JOIN frame AS f ON f.incident_id = g.incident_id AND f.stack_id = g.stack_id;

-- @version 2

-- Who can still wake a blocked goroutine (leaks and wait cycles). gocoroner
-- marks the heap from what a live process can still run: package variables
-- (the executable's data and bss) and the stacks of goroutines that are not
-- blocked on a channel or sync primitive. It goes through heap objects (their
-- bounds from the heap's spans; every aligned word that points into an
-- allocated object counts as a pointer, so marking errs towards "reachable")
-- and, each time the object a blocked goroutine waits on is reached, adds that
-- goroutine's stack to the roots, until nothing changes: offline, what Go's
-- goroutine-leak profile (Go 1.26+) does in a live process.

-- One row per incident whose heap was scanned; no row means no leak analysis
-- was done (wait_reach is then empty too, and no goroutine is a suspect).
CREATE TABLE heap_scan (
  incident_id INTEGER PRIMARY KEY REFERENCES incident (id),
  -- In-use heap spans read, and objects in them.
  spans INTEGER NOT NULL,
  objects INTEGER NOT NULL,
  -- Objects marked reachable, and their bytes.
  marked_objects INTEGER NOT NULL,
  marked_bytes INTEGER NOT NULL,
  -- Rounds of marking: 1 + the times a woken goroutine's stack added roots.
  rounds INTEGER NOT NULL,
  -- 1 if every span and marked object could be read; 0 if some memory was
  -- missing from the core (diagnostics say where): a suspect may then be
  -- reachable through what could not be read.
  complete INTEGER NOT NULL CHECK (complete IN (0, 1))
);

-- One row per object a blocked goroutine waits on: each channel of its
-- chan_wait rows, the primitive of its sync_wait row.
CREATE TABLE wait_reach (
  incident_id INTEGER NOT NULL REFERENCES incident (id),
  goid INTEGER NOT NULL,
  -- The object: channel.addr or sync_wait.addr.
  obj_addr INTEGER NOT NULL,
  -- How marking first reached it: 'global' (a package variable or other
  -- runtime root), 'goroutine' (the stack of goroutine via_goid, which can
  -- run or was woken earlier), or NULL: nothing that can run reaches it.
  reached_by TEXT CHECK (reached_by IN ('global', 'goroutine')),
  -- The goroutine whose stack reaches it when reached_by = 'goroutine'.
  via_goid INTEGER,
  PRIMARY KEY (incident_id, goid, obj_addr)
) WITHOUT ROWID;

-- For each unreached object of wait_reach, the blocked goroutines whose own
-- stack reaches it: the only goroutines that could wake the waiter, were they
-- woken themselves. Goroutines that wait on each other this way, with no one
-- else able to wake any of them, are a wait cycle.
CREATE TABLE wait_waker (
  incident_id INTEGER NOT NULL REFERENCES incident (id),
  goid INTEGER NOT NULL,
  obj_addr INTEGER NOT NULL,
  waker_goid INTEGER NOT NULL,
  PRIMARY KEY (incident_id, goid, obj_addr, waker_goid)
) WITHOUT ROWID;

CREATE INDEX wait_waker_by_waker ON wait_waker (incident_id, waker_goid);

-- The context whose internal mutex (cancelCtx.mu, also inside a timerCtx)
-- the goroutine waits on: context.addr, or NULL when the primitive is not
-- inside a context object.
ALTER TABLE sync_wait ADD COLUMN ctx_addr INTEGER;

-- Clarifications (no change of meaning): wait_waker never holds a goroutine
-- as its own waker (a goroutine's stack always reaches what it waits on).
-- Marking stops as soon as every wait object is reached, so
-- heap_scan.marked_objects/marked_bytes count what was marked up to then, not
-- the whole live heap; rounds likewise.

-- "Which goroutines wait on this context's lock?" (view context_lock_wait):
-- only the rows that have a context, in (context, goroutine) order.
CREATE INDEX sync_wait_by_ctx ON sync_wait (incident_id, ctx_addr, goid)
  WHERE ctx_addr IS NOT NULL;

-- Goroutines grouped by stack with what the groups report (view
-- goroutine_bucket): covering, so grouping the goroutines reads this index
-- alone, never the table's rows (bench/README.md).
CREATE INDEX goroutine_by_stack_wait ON goroutine
  (incident_id, stack_id, is_system, wait_minutes, wait_reason, status);

-- @version 3

-- The incident archive: names, tags and capture times to find incidents by,
-- a signature to recognize a recurring hang, finding counts kept at ingest so
-- that listing hundreds of incidents reads a few rows each, and the cores
-- themselves when asked to keep them. Rows of incident_tag and the name are
-- the only rows a user changes after ingest ('gocoroner tag').

-- Optional human name of the incident ('checkout hang, 2 March'); NULL until
-- given with 'gocoroner tag INCIDENT name=...'.
ALTER TABLE incident ADD COLUMN name TEXT;

-- When the core was captured: ISO-8601 UTC, 'YYYY-MM-DDTHH:MM:SSZ'. It is the
-- core file's modification time at ingest (for a .zst core, the compressed
-- file's: zstd keeps the original's time), which is when the kernel or gcore
-- finished writing it: an ELF core records no wall-clock time of its own.
-- NULL if unknown (incidents ingested before version 3).
ALTER TABLE incident ADD COLUMN captured_at TEXT;

-- Which definition of the summary rows (incident_finding, incident_signature)
-- the incident's rows follow: STORE_SUMMARY_VERSION in store/store.h, written
-- in the ingest's transaction. NULL (incidents of a version 1 or 2 database)
-- or an older number: the rows are missing or stale, and gocoroner computes
-- them again, one incident per transaction, the next time it opens the
-- database for writing.
ALTER TABLE incident ADD COLUMN summary_version INTEGER;

-- Free-form labels of an incident ('host' = 'db-3', 'ticket' = 'OPS-12'), set
-- with 'gocoroner tag INCIDENT KEY=VALUE'; one value per key.
CREATE TABLE incident_tag (
  incident_id INTEGER NOT NULL REFERENCES incident (id),
  -- The label's name: letters, digits, '_', '-', '.' (gocoroner checks).
  key TEXT NOT NULL,
  -- Its value: any text, never '' ('tag INCIDENT KEY=' deletes the row).
  value TEXT NOT NULL,
  PRIMARY KEY (incident_id, key)
) WITHOUT ROWID;

-- The findings of an incident (the query library's views, queries/), grouped
-- by what stays the same when the same bug happens again in a rebuilt binary:
-- the kind, the culprit function and the type involved, never addresses or
-- line numbers. Computed from view finding_group at ingest, in the ingest's
-- transaction. 'gocoroner incidents' sums them per kind, 'gocoroner diff'
-- compares two incidents' rows, and the signature is built from them.
CREATE TABLE incident_finding (
  incident_id INTEGER NOT NULL REFERENCES incident (id),
  -- The view that found it: 'cancel_unobserved', 'cancel_broken_link',
  -- 'leak_suspect', 'wait_cycle', 'cancel_detached', 'context_lock_wait'.
  kind TEXT NOT NULL,
  -- Where: the function of the frame holding the canceled context
  -- (cancel_unobserved), where the goroutine blocks (leak_suspect,
  -- wait_cycle); the type where cancellation stopped (cancel_broken_link,
  -- as "REASON TYPE": 'user-type *main.detachedCtx'); NULL when there is no
  -- such place (cancel_detached, context_lock_wait) or it is unknown.
  culprit TEXT,
  -- What: the kind of the context held (cancel_unobserved), the live
  -- context's type (cancel_broken_link), the kind of object waited on
  -- (leak_suspect: 'chan', 'sync.Mutex'...), the kind of the context whose
  -- lock is waited on (context_lock_wait); NULL otherwise or if unknown.
  object TEXT,
  -- How many: goroutines (cancel_unobserved, leak_suspect, wait_cycle) or
  -- contexts (cancel_broken_link, cancel_detached, context_lock_wait).
  count INTEGER NOT NULL CHECK (count > 0)
);

CREATE INDEX incident_finding_by_incident ON incident_finding (incident_id, kind);

-- The signature of an incident: weighted terms naming its findings and its
-- largest goroutine groups by function names only, so that the same hang in
-- a rebuilt binary (other addresses, lines, Go release) has the same terms.
-- Computed from view signature_term (queries/signature_term.sql, which
-- defines the terms and weights) in the ingest's transaction. 'gocoroner
-- similar' compares incidents by the weighted Jaccard index of their terms.
CREATE TABLE incident_signature (
  incident_id INTEGER NOT NULL REFERENCES incident (id),
  -- The term: 'finding:KIND:CULPRIT' or 'bucket:FUNC < FUNC < ...'.
  term TEXT NOT NULL,
  -- Its weight, > 0: 1 + ln(goroutines or contexts it stands for).
  weight REAL NOT NULL,
  PRIMARY KEY (incident_id, term)
) WITHOUT ROWID;

-- "Which incidents have this term?" ('gocoroner similar'): covering.
CREATE INDEX incident_signature_by_term ON incident_signature (term, incident_id, weight);

-- Core files kept in the archive ('gocoroner analyze --keep-core'),
-- content-addressed: incidents whose incident.core_sha256 is sha256 share
-- the one row ('gocoroner core INCIDENT --to FILE' writes it back). Not an
-- incident's row: it stays while any incident refers to it.
CREATE TABLE core_blob (
  -- The core's fingerprint, as in incident.core_sha256: a SHA-256 over the
  -- decompressed core's non-zero pages (core/core.h), so a raw core and its
  -- .zst copy are one core.
  sha256 TEXT PRIMARY KEY
    CHECK (length(sha256) = 64 AND sha256 NOT GLOB '*[^0-9a-f]*'),
  -- How data is compressed: 'zstd' (a zstd frame; 'zstd -d' reads it).
  compression TEXT NOT NULL CHECK (compression IN ('zstd')),
  -- Size of the core once decompressed, in bytes.
  size INTEGER NOT NULL,
  -- The compressed core: the .zst file's bytes unchanged when the core was
  -- given compressed, else the raw core compressed by gocoroner.
  data BLOB NOT NULL
);

-- The highest incident id ever given, so that no id is given twice: ids name
-- incidents in tags, bug reports and other databases, and SQLite would hand
-- the id of a forgotten newest incident to the next one. At most one row,
-- kept by the trigger below on every deletion (gocoroner forget, or plain
-- SQL); ingest and import number an incident max(incident.id, last_id) + 1.
CREATE TABLE incident_last_id (
  -- The largest id an incident has had.
  last_id INTEGER NOT NULL
);

CREATE TRIGGER incident_keep_last_id AFTER DELETE ON incident
BEGIN
  INSERT INTO incident_last_id (last_id)
    SELECT OLD.id WHERE OLD.id > (SELECT COALESCE(max(last_id), 0) FROM incident_last_id);
  DELETE FROM incident_last_id WHERE last_id < OLD.id;
END;

-- @version 4

-- goroutine_context gets a key of its own: the goroutine, then the holding's
-- place among that goroutine's holdings. gocoroner writes the rows in key
-- order, so the table is filled by appending and "which contexts does
-- goroutine G hold" reads them in place, where version 3 kept a rowid table
-- plus an index on (incident_id, goid) that cost every ingest its build and
-- the file its pages (bench/README.md).
-- SQLite cannot add a primary key to a table: the rows are copied through a
-- temporary table (numbered in the order they were written), the old table
-- is dropped with its indexes, and the new one takes its name.
CREATE TEMP TABLE goroutine_context_v3 AS
  SELECT incident_id, goid,
         row_number() OVER (PARTITION BY incident_id, goid ORDER BY rowid) - 1 AS seq,
         frame_depth, var_name, ctx_addr, found_by
    FROM main.goroutine_context;

DROP TABLE main.goroutine_context;

-- Which goroutine holds which context, in which frame.
CREATE TABLE goroutine_context (
  incident_id INTEGER NOT NULL REFERENCES incident (id),
  goid INTEGER NOT NULL,
  -- The holding's place among the goroutine's, from 0: first the variables
  -- DWARF locates, innermost frame first, then what the stack scans found.
  seq INTEGER NOT NULL,
  -- The frame (goroutine_frame.depth) whose variable holds it; NULL when a
  -- stack scan found it between frames.
  frame_depth INTEGER,
  -- The variable, with the field path followed: 'ctx', 'r.ctx'; NULL for a
  -- stack scan.
  var_name TEXT,
  ctx_addr INTEGER NOT NULL,
  -- 'dwarf' (a variable the debug info locates at the frame's pc) or
  -- 'stack-scan' (an interface value found on the live stack by its type
  -- word and validated, where optimized code left no location).
  found_by TEXT NOT NULL CHECK (found_by IN ('dwarf', 'stack-scan')),
  PRIMARY KEY (incident_id, goid, seq)
) WITHOUT ROWID;

INSERT INTO main.goroutine_context
  (incident_id, goid, seq, frame_depth, var_name, ctx_addr, found_by)
  SELECT incident_id, goid, seq, frame_depth, var_name, ctx_addr, found_by
    FROM temp.goroutine_context_v3
   ORDER BY incident_id, goid, seq;

DROP TABLE temp.goroutine_context_v3;

-- "Who holds this context?"
CREATE INDEX goroutine_context_by_ctx ON goroutine_context (incident_id, ctx_addr);

-- goroutine_by_stack_wait (version 2) starts with the same columns and
-- serves every lookup this index did: building it was part of every ingest
-- for nothing.
DROP INDEX goroutine_by_stack;

-- @version 5

-- The wait-for graph over objects, and its components, computed at ingest
-- in linear time. Version 2 kept wait_waker, every (waiter, object, waker)
-- triple: a thousand goroutines on one mutex that all reach it were a
-- million rows, and the view that walked them for cycles never finished.
-- An edge now goes from a goroutine to each object it waits on (wait_reach)
-- and from an object to each blocked goroutine that reaches it
-- (wait_reacher): a thousand goroutines on one mutex are a thousand rows.

-- For each object of wait_reach that nothing able to run reaches, the
-- blocked goroutines whose own stack reaches it: the only goroutines that
-- could wake its waiters, were they woken themselves. A goroutine may reach
-- what it waits on itself (the workers of an idle pool hold its channel).
CREATE TABLE wait_reacher (
  incident_id INTEGER NOT NULL REFERENCES incident (id),
  obj_addr INTEGER NOT NULL,
  goid INTEGER NOT NULL,
  PRIMARY KEY (incident_id, obj_addr, goid)
) WITHOUT ROWID;

-- The strongly connected components of that graph among the goroutines
-- nothing can wake (every object they wait on unreached), with more than
-- one node: one row per component.
CREATE TABLE wait_component (
  incident_id INTEGER NOT NULL REFERENCES incident (id),
  -- 1, 2...: the cycles, then the groups, each in order of its smallest
  -- goid (so a cycle's component_id is its number among the cycles).
  component_id INTEGER NOT NULL,
  -- 'cycle': two or more objects, each waited on by a member and reachable
  -- only by members (a deadlock); 'group': goroutines all waiting on one
  -- object that only they reach (an idle pool whose producer left: one
  -- leak, of that many goroutines), or all on the same objects (select
  -- loops abandoned on their channels: none can wake another).
  kind TEXT NOT NULL CHECK (kind IN ('cycle', 'group')),
  goroutines INTEGER NOT NULL,
  objects INTEGER NOT NULL,
  -- A group's object (the smallest address when it waits on several);
  -- NULL for a cycle.
  obj_addr INTEGER,
  -- Its smallest goid.
  example_goid INTEGER NOT NULL,
  -- A blocked goroutine outside the component (the smallest goid) that
  -- reaches one of its objects: the component waits behind that goroutine,
  -- stuck too. NULL if none.
  behind_goid INTEGER,
  PRIMARY KEY (incident_id, component_id)
) WITHOUT ROWID;

-- The goroutines of each component.
CREATE TABLE wait_member (
  incident_id INTEGER NOT NULL REFERENCES incident (id),
  goid INTEGER NOT NULL,
  component_id INTEGER NOT NULL,
  -- A cycle's members in the order going round it, 0 for the smallest goid
  -- (each waits on an object the next one reaches); a group's by goid.
  position INTEGER NOT NULL,
  -- What it waits on in the component (the smallest if several).
  obj_addr INTEGER NOT NULL,
  -- In a cycle, the next member round, which reaches obj_addr; NULL in a
  -- group.
  waker_goid INTEGER,
  PRIMARY KEY (incident_id, goid)
) WITHOUT ROWID;

-- A component's members in order (views wait_cycle, wait_group).
CREATE INDEX wait_member_by_component ON wait_member (incident_id, component_id, position);

-- The number of wait_component rows written for the incident; NULL for an
-- incident stored before version 5, whose components gocoroner computes the
-- next time it opens the database for writing (from wait_reacher).
ALTER TABLE heap_scan ADD COLUMN components INTEGER;

-- The triples of version 2 say which goroutines reach which object; the
-- rest of them is redundant.
INSERT INTO wait_reacher (incident_id, obj_addr, goid)
  SELECT DISTINCT incident_id, obj_addr, waker_goid FROM wait_waker;

DROP TABLE wait_waker;

-- @version 6
-- How the heap marking found pointers (goruntime/heapbits.c): as Go's own
-- collector does, from the runtime's metadata (the heap objects' pointer
-- bitmaps, each module's gcdatamask and gcbssmask), or word by word where
-- that metadata could not be read — every aligned word pointing into an
-- allocated object then counts, which can only mark more, never less.
-- Diagnostics (what = 'heap') say how many objects were read word by word
-- and why. All NULL for an incident stored before version 6, whose marking
-- was word by word throughout except stacks and runtime.p.

-- The heap's metadata read: 'headers' (Go 1.22+: allocation headers — the
-- bits at the end of small objects' spans, the malloc header's type, the
-- span's largeType), 'arena' (Go 1.20-1.21: heapArena.bitmap, one bit a
-- word, with noMorePtrs), 'arena2' (Go 1.19: heapArena.bitmap, a pointer
-- and a scan bit a word); NULL when none could be: every object was then
-- read word by word.
ALTER TABLE heap_scan ADD COLUMN heap_bits TEXT CHECK (heap_bits IN ('headers', 'arena', 'arena2'));
-- Heap objects scanned by their pointer bitmap (a large object without a
-- type counts: it holds no pointers), and scanned word by word. Objects of
-- noscan spans are never scanned, so not counted. An object is counted each
-- time it is scanned: marking, then the search for who reaches the
-- unreached waits (wait_reacher), scan some twice.
ALTER TABLE heap_scan ADD COLUMN objects_precise INTEGER;
ALTER TABLE heap_scan ADD COLUMN objects_conservative INTEGER;
-- Words of the modules' data and bss read by their masks, and word by word.
ALTER TABLE heap_scan ADD COLUMN global_words_precise INTEGER;
ALTER TABLE heap_scan ADD COLUMN global_words_conservative INTEGER;

-- @version 7

-- How each holding of goroutine_context was established: whether the stack
-- word the context's pointer was read from is live at the frame's pc, by
-- the code's stack maps (the pointer bitmaps of locals and arguments, and
-- the stack objects, as Go's collector reads them). A variable in DWARF
-- scope may be dead at that pc, its slot still pointing to memory the
-- collector freed and reused (a finished *http.Request leads to an
-- unrelated canceled context): such holdings are not recorded at all, and
-- the incident's 'frame-vars' diagnostic counts them.
--   'dwarf-live'             a variable DWARF locates, live at the pc
--   'dwarf-unverified'       a variable DWARF locates in a frame the maps
--                            cannot describe (assembly, reflect's stubs, a
--                            frame stopped between safe points, maps that
--                            disagree with the unwind): kept, not vouched for
--   'stack-scan-live'        found by a stack scan in a live pointer slot
--   'stack-scan-unverified'  found by a stack scan of a frame without maps
-- NULL: unknown (holdings ingested before version 7).
ALTER TABLE goroutine_context ADD COLUMN evidence TEXT
  CHECK (evidence IN ('dwarf-live', 'dwarf-unverified', 'stack-scan-live',
                      'stack-scan-unverified'));

-- @version 8

-- Where each context was found. gocoroner looks for contexts from every
-- root the collector has, not only goroutine frames: package variables and
-- what they reach, the heap objects live frame variables point to, maps
-- and channel buffers, each walked with its DWARF type (a canceled request
-- subtree kept only by a registry, jobs queued in a channel, sessions in a
-- map). A context found several ways keeps the first of this order:
--   'frame'        a goroutine's frame variable holds it (found_at NULL: the
--                  holders are goroutine_context's rows)
--   'global'       a package variable holds it itself (found_at: its name)
--   'chan buffer'  queued in a channel's buffer (found_at: the channel,
--                  '0x...'; channel rows exist only for waited-on channels)
--   'map'          a key or value of a map (found_at: the package variable
--                  or 'goroutine N' the map was reached from)
--   'heap'         in a heap object reached from a package variable or a
--                  frame (found_at: that variable, or 'goroutine N')
--   'ancestor'     only as the parent of a context found (found_at NULL)
--   'child'        only in a found context's children map (found_at NULL)
-- NULL: unknown (incidents stored before version 8).
ALTER TABLE context ADD COLUMN found_in TEXT
  CHECK (found_in IN ('frame', 'global', 'chan buffer', 'map', 'heap', 'ancestor', 'child'));
ALTER TABLE context ADD COLUMN found_at TEXT;

-- @version 9

-- Who each blocked goroutine is stuck behind (goruntime/victims.c), written
-- at ingest from the heap marking's searches. The releasers of an object
-- (a channel or sync primitive some goroutine waits on) are the goroutines
-- whose own stacks reach it — through live stack slots and heap objects, as
-- the marking follows pointers — other than those blocked on that object
-- alone. A goroutine is stuck behind a culprit when every releaser of every
-- object it waits on is that culprit or is itself stuck behind it, and the
-- culprit is stuck behind nobody: nothing it waits on can change before the
-- culprit runs. A goroutine waiting on something a package variable reaches
-- (anyone may release it) is stuck behind nobody; so is one whose objects
-- nobody, or two independent goroutines, could release. The claim is
-- conservative: a goroutine whose search was cut short (diagnostics with
-- what = 'victims') may reach any object, and no goroutine is said to be
-- stuck behind a culprit unless that one too is behind the same culprit; a
-- deadlock with nothing flowing into it has no culprit (wait_cycle reports
-- it). One row per victim; goroutines stuck behind nobody have none.
-- Incidents stored before version 9 have no rows.
CREATE TABLE goroutine_blocker (
  incident_id INTEGER NOT NULL REFERENCES incident (id),
  -- The victim (goroutine.goid).
  goid INTEGER NOT NULL,
  -- The goroutine it is stuck behind (goroutine.goid), itself stuck behind
  -- nobody: running, in a syscall or IO wait, asleep, or blocked on what
  -- nobody else (or several goroutines) could release.
  culprit_goid INTEGER NOT NULL,
  -- The object the victim waits on (chan_wait.chan_addr or sync_wait.addr;
  -- the smallest if it waits on several, as a select does).
  obj_addr INTEGER NOT NULL,
  -- How it waits on obj_addr: 'mutex' (sync.Mutex), 'rwmutex'
  -- (sync.RWMutex), 'waitgroup' (sync.WaitGroup), 'cond' (sync.Cond),
  -- 'sema' (another runtime semaphore), 'chan' (a channel or a select).
  via TEXT NOT NULL CHECK (via IN ('mutex', 'rwmutex', 'waitgroup', 'cond', 'sema', 'chan')),
  -- How many waits away the culprit is: 1 when the culprit itself is what
  -- releases obj_addr, 2 when victims of hops 1 are, and so on (the longest
  -- such chain; inside a knot of waits on each other, the first one found).
  hops INTEGER NOT NULL,
  PRIMARY KEY (incident_id, goid)
) WITHOUT ROWID;

-- The victims of each culprit: for "N goroutines stuck behind it".
CREATE INDEX goroutine_blocker_by_culprit ON goroutine_blocker (incident_id, culprit_goid);

-- @version 10

-- The canceled contexts and what their cancellation should reach, computed
-- at ingest in linear time (goruntime/ctxcancel.c) from the context rows.
-- The private views _ctx_canceled and _ctx_below_canceled (queries/) read
-- them. Before version 10 those views were recursive queries, evaluated
-- again by each cancel_* query: three times by every summary, most of a
-- second of an ingest of 400,000 contexts (bench/README.md). Incidents
-- stored before get them the first time a version-10 gocoroner opens the
-- database for writing (incident.context_sets NULL), from their rows.

-- Each canceled context with a state of its own ('cancel', 'timer',
-- 'afterFunc'), with the node its cancellation started at: walking up
-- through contexts that delegate Err() ('value', 'stop', user types without
-- a Done channel) and through canceled ancestors, the outermost canceled one
-- (at most 1,000 steps).
CREATE TABLE context_canceled (
  incident_id INTEGER NOT NULL REFERENCES incident (id),
  -- The canceled context (context.addr).
  addr INTEGER NOT NULL,
  -- Where the cancellation started: addr itself, or a canceled ancestor.
  origin_addr INTEGER NOT NULL,
  -- Parent steps from addr up to origin_addr (0: itself).
  origin_steps INTEGER NOT NULL,
  PRIMARY KEY (incident_id, addr)
) WITHOUT ROWID;

-- Each canceled context of context_canceled (the seed, depth 0) and the
-- contexts below it that its cancellation should reach: walking down the
-- parent links through 'value', 'stop' and user-defined contexts, stopping
-- at a live context with a state of its own (a broken link), at
-- 'withoutCancel' (detached on purpose) and at a canceled child (a seed of
-- its own), at most 1,000 steps down.
CREATE TABLE context_below_canceled (
  incident_id INTEGER NOT NULL REFERENCES incident (id),
  -- The canceled context the walk started from (context_canceled.addr).
  seed_addr INTEGER NOT NULL,
  -- Parent steps from the seed (0: the seed itself).
  depth INTEGER NOT NULL,
  -- The context reached (context.addr), with its context.kind and canceled.
  addr INTEGER NOT NULL,
  kind TEXT NOT NULL,
  canceled INTEGER CHECK (canceled IN (0, 1)),
  -- The seed's context_canceled.origin_addr.
  origin_addr INTEGER NOT NULL,
  -- The first user-defined context on the way down from the seed; NULL if
  -- none (below one, the effective state is unknown).
  user_addr INTEGER,
  -- The contexts from the seed down to addr: "0xADDR KIND (canceled) >
  -- 0xADDR KIND > ...", a user type by its type name.
  path TEXT NOT NULL,
  PRIMARY KEY (incident_id, seed_addr, depth, addr)
) WITHOUT ROWID;

-- 1 once context_canceled and context_below_canceled hold the incident's
-- rows; NULL for an incident stored before version 10 that gocoroner has not
-- computed them for yet. After changing an incident's context rows by hand,
-- set it to NULL: the next gocoroner command that opens the database for
-- writing computes the incident's rows of both tables again.
ALTER TABLE incident ADD COLUMN context_sets INTEGER;

-- The depth of each stack's frame the findings name (view _user_frame):
-- its innermost frame outside runtime.*, internal/* and sync.*, else 0.
-- Written at ingest; before version 10 the view found it with a subquery
-- per frame of every goroutine's stack, 2 s for long_wait's 100,000 rows.
-- NULL in rows written without it (the view then looks for it itself).
ALTER TABLE stack ADD COLUMN user_depth INTEGER;

UPDATE stack SET user_depth = COALESCE(
  (SELECT min(x.depth) FROM frame AS x
    WHERE x.incident_id = stack.incident_id AND x.stack_id = stack.stack_id
      AND x.func NOT GLOB 'runtime.*' AND x.func NOT GLOB 'internal/*'
      AND x.func NOT GLOB 'sync.*'), 0);

-- @version 11

-- incident.build_settings is the text 'go version -m' prints (without its
-- leading tabs): runtime.modinfo without the 16-byte sentinels that frame
-- it. Before version 11 it kept the opening sentinel and the first 8 bytes
-- of the closing one (up to its NUL byte), which are not valid UTF-8.
UPDATE incident
   SET build_settings = CAST(substr(CAST(build_settings AS BLOB), 17,
                                    length(CAST(build_settings AS BLOB)) - 24) AS TEXT)
 WHERE length(CAST(build_settings AS BLOB)) >= 24
   AND substr(CAST(build_settings AS BLOB), 1, 16) = X'3077AF0C9274080241E1C107E6D618E6'
   AND substr(CAST(build_settings AS BLOB), -8) = X'F932433186182072';

-- @version 12

-- Smaller rows for the longest tables. The text a table repeats on every
-- row ('cancel', '*context.cancelCtx', 'waiting', a value key, a function's
-- name) is stored once: context, defer_call, goroutine, wait_reach,
-- chan_wait and goroutine_context become views of the same names, columns
-- and column order over compact tables (NAME_base), so every query reads
-- them as before. 400,000 contexts were 37 MB of a 95 MB database, most of
-- it that text (bench/README.md). Each view has INSTEAD OF triggers:
-- INSERT, UPDATE and DELETE on it work as on the table it replaces (with
-- its OR IGNORE or OR REPLACE), so hand-written SQL keeps working. The
-- indexes are on the base tables, under their old names: a query naming
-- one in INDEXED BY reads the base table (INDEXED BY cannot name a view's
-- table).
--
-- How a compact column holds its text, for who reads the base tables:
--   * a column of a fixed vocabulary (context.kind, found_in...) holds a
--     small integer, the vocabulary's place in the decoding CASE of the
--     view; any other text is stored as it is (the view passes text
--     through), so nothing outside the vocabulary is lost;
--   * a column of open text (context.value_key, defer_call.func,
--     goroutine.start_func, created_by_func and created_by_file) holds
--     either the text or an integer: the id of an incident_text row of the
--     same incident. gocoroner's writer stores each distinct text once that
--     way; rows written through the views keep their text.

-- Text shared by many rows of an incident, by id (see above). Rows of an
-- incident like any other, so forget, export and import carry them along.
CREATE TABLE incident_text (
  incident_id INTEGER NOT NULL REFERENCES incident (id),
  -- 1, 2...: what the compact columns hold.
  id INTEGER NOT NULL,
  text TEXT NOT NULL,
  PRIMARY KEY (incident_id, id)
) WITHOUT ROWID;

-- SQLite cannot turn a table into a view: version 11's rows wait in a
-- temporary table, written back through the view below.
CREATE TEMP TABLE context_v11 AS SELECT * FROM main.context;

DROP TABLE main.context;

-- The rows of view context (version 1's table; see that table's comments
-- for the meaning of each column). kind: 0 'background', 1 'todo',
-- 2 'cancel', 3 'timer', 4 'value', 5 'withoutCancel', 6 'afterFunc',
-- 7 'stop', 8 'user'. type_name: 0 'context.backgroundCtx',
-- 1 'context.todoCtx', 2 '*context.emptyCtx', 3 '*context.cancelCtx',
-- 4 '*context.timerCtx', 5 '*context.valueCtx', 6 'context.withoutCancelCtx',
-- 7 '*context.afterFuncCtx', 8 '*context.stopCtx'. err: 0 'context
-- canceled', 1 'context deadline exceeded'. value_key: text or an
-- incident_text id. The columns that hold codes have no declared type, so
-- SQLite keeps the integer or the text as written.
-- state packs four small columns in one number, since every column costs
-- each row a byte of its header (17 of a row's 47 bytes in version 11):
--   found_in      state % 8: 0 NULL, 1 'frame', 2 'global', 3 'chan buffer',
--                 4 'map', 5 'heap', 6 'ancestor', 7 'child'
--   canceled      state / 8 % 3: 0 NULL, 1 for 0, 2 for 1
--   timer_pending state / 24 % 3: the same
--   done_closed   state / 72: 0 or 1
-- A row written through the view with a value outside those (which
-- version 11's CHECK constraints refused) gets a state that fails this
-- table's CHECK, so it is refused the same way.
CREATE TABLE context_base (
  incident_id INTEGER NOT NULL REFERENCES incident (id),
  addr INTEGER NOT NULL,
  kind NOT NULL,
  type_name,
  parent_addr INTEGER,
  done_chan INTEGER,
  state NOT NULL CHECK (typeof(state) = 'integer' AND state BETWEEN 0 AND 143),
  err,
  cause TEXT,
  deadline_unix_ns INTEGER,
  value_key,
  value_text TEXT,
  found_at TEXT,
  PRIMARY KEY (incident_id, addr)
) WITHOUT ROWID;

-- "Which contexts were derived from this one?" (walks down the trees).
-- Queries that name it in INDEXED BY read context_base.
CREATE INDEX context_by_parent ON context_base (incident_id, parent_addr);

-- Every context.Context object found in the incident: version 1's table
-- context, with the same columns in the same order (see there and version 8
-- for their meaning), read from context_base.
CREATE VIEW context AS
SELECT c.incident_id AS incident_id,
       c.addr AS addr,
       CASE c.kind WHEN 0 THEN 'background' WHEN 1 THEN 'todo' WHEN 2 THEN 'cancel'
                   WHEN 3 THEN 'timer' WHEN 4 THEN 'value' WHEN 5 THEN 'withoutCancel'
                   WHEN 6 THEN 'afterFunc' WHEN 7 THEN 'stop' WHEN 8 THEN 'user'
                   ELSE c.kind END AS kind,
       CASE c.type_name WHEN 0 THEN 'context.backgroundCtx' WHEN 1 THEN 'context.todoCtx'
                        WHEN 2 THEN '*context.emptyCtx' WHEN 3 THEN '*context.cancelCtx'
                        WHEN 4 THEN '*context.timerCtx' WHEN 5 THEN '*context.valueCtx'
                        WHEN 6 THEN 'context.withoutCancelCtx'
                        WHEN 7 THEN '*context.afterFuncCtx' WHEN 8 THEN '*context.stopCtx'
                        ELSE c.type_name END AS type_name,
       c.parent_addr AS parent_addr,
       c.done_chan AS done_chan,
       c.state / 72 AS done_closed,
       CASE c.state / 8 % 3 WHEN 1 THEN 0 WHEN 2 THEN 1 END AS canceled,
       CASE c.err WHEN 0 THEN 'context canceled' WHEN 1 THEN 'context deadline exceeded'
                  ELSE c.err END AS err,
       c.cause AS cause,
       c.deadline_unix_ns AS deadline_unix_ns,
       CASE WHEN typeof(c.value_key) = 'integer'
            THEN (SELECT t.text FROM incident_text AS t
                   WHERE t.incident_id = c.incident_id AND t.id = c.value_key)
            ELSE c.value_key END AS value_key,
       c.value_text AS value_text,
       CASE c.state / 24 % 3 WHEN 1 THEN 0 WHEN 2 THEN 1 END AS timer_pending,
       CASE c.state % 8 WHEN 1 THEN 'frame' WHEN 2 THEN 'global' WHEN 3 THEN 'chan buffer'
                        WHEN 4 THEN 'map' WHEN 5 THEN 'heap' WHEN 6 THEN 'ancestor'
                        WHEN 7 THEN 'child' END AS found_in,
       c.found_at AS found_at
  FROM context_base AS c;

-- Writing view context writes context_base: text of a vocabulary becomes
-- its code, a number given for a text column becomes text (as the TEXT
-- column of version 1 stored it), other text stays text; the 0/1 columns
-- take '0' and '1' as numbers, as version 1's INTEGER columns did.
CREATE TRIGGER context_insert INSTEAD OF INSERT ON context
BEGIN
  INSERT INTO context_base (incident_id, addr, kind, type_name, parent_addr, done_chan,
                            state, err, cause, deadline_unix_ns, value_key, value_text,
                            found_at)
  VALUES (NEW.incident_id, NEW.addr,
          CASE NEW.kind WHEN 'background' THEN 0 WHEN 'todo' THEN 1 WHEN 'cancel' THEN 2
                        WHEN 'timer' THEN 3 WHEN 'value' THEN 4 WHEN 'withoutCancel' THEN 5
                        WHEN 'afterFunc' THEN 6 WHEN 'stop' THEN 7 WHEN 'user' THEN 8
                        ELSE CASE WHEN typeof(NEW.kind) IN ('integer', 'real')
                                  THEN CAST(NEW.kind AS TEXT) ELSE NEW.kind END END,
          CASE NEW.type_name WHEN 'context.backgroundCtx' THEN 0 WHEN 'context.todoCtx' THEN 1
                             WHEN '*context.emptyCtx' THEN 2 WHEN '*context.cancelCtx' THEN 3
                             WHEN '*context.timerCtx' THEN 4 WHEN '*context.valueCtx' THEN 5
                             WHEN 'context.withoutCancelCtx' THEN 6
                             WHEN '*context.afterFuncCtx' THEN 7 WHEN '*context.stopCtx' THEN 8
                             ELSE CASE WHEN typeof(NEW.type_name) IN ('integer', 'real')
                                       THEN CAST(NEW.type_name AS TEXT)
                                       ELSE NEW.type_name END END,
          NEW.parent_addr, NEW.done_chan,
          -- Any part outside its values makes the sum NULL: refused.
          (CASE WHEN NEW.found_in IS NULL THEN 0
                ELSE CASE NEW.found_in WHEN 'frame' THEN 1 WHEN 'global' THEN 2
                                       WHEN 'chan buffer' THEN 3 WHEN 'map' THEN 4
                                       WHEN 'heap' THEN 5 WHEN 'ancestor' THEN 6
                                       WHEN 'child' THEN 7 END END)
          + 8 * (CASE WHEN NEW.canceled IS NULL THEN 0
                      WHEN NEW.canceled IN (0, '0') THEN 1 WHEN NEW.canceled IN (1, '1') THEN 2 END)
          + 24 * (CASE WHEN NEW.timer_pending IS NULL THEN 0
                       WHEN NEW.timer_pending IN (0, '0') THEN 1
                       WHEN NEW.timer_pending IN (1, '1') THEN 2 END)
          + 72 * (CASE WHEN NEW.done_closed IN (0, '0') THEN 0
                       WHEN NEW.done_closed IN (1, '1') THEN 1 END),
          CASE NEW.err WHEN 'context canceled' THEN 0 WHEN 'context deadline exceeded' THEN 1
                       ELSE CASE WHEN typeof(NEW.err) IN ('integer', 'real')
                                 THEN CAST(NEW.err AS TEXT) ELSE NEW.err END END,
          NEW.cause, NEW.deadline_unix_ns,
          CASE WHEN typeof(NEW.value_key) IN ('integer', 'real')
               THEN CAST(NEW.value_key AS TEXT) ELSE NEW.value_key END,
          NEW.value_text, NEW.found_at);
END;

CREATE TRIGGER context_delete INSTEAD OF DELETE ON context
BEGIN
  DELETE FROM context_base WHERE incident_id = OLD.incident_id AND addr = OLD.addr;
END;

-- An update is the row deleted and the new one inserted through the view.
CREATE TRIGGER context_update INSTEAD OF UPDATE ON context
BEGIN
  DELETE FROM context_base WHERE incident_id = OLD.incident_id AND addr = OLD.addr;
  INSERT INTO context (incident_id, addr, kind, type_name, parent_addr, done_chan,
                       done_closed, canceled, err, cause, deadline_unix_ns, value_key,
                       value_text, timer_pending, found_in, found_at)
  VALUES (NEW.incident_id, NEW.addr, NEW.kind, NEW.type_name, NEW.parent_addr, NEW.done_chan,
          NEW.done_closed, NEW.canceled, NEW.err, NEW.cause, NEW.deadline_unix_ns,
          NEW.value_key, NEW.value_text, NEW.timer_pending, NEW.found_in, NEW.found_at);
END;

-- Version 11's rows, through the view's trigger, in key order.
INSERT INTO main.context (incident_id, addr, kind, type_name, parent_addr, done_chan,
                          done_closed, canceled, err, cause, deadline_unix_ns, value_key,
                          value_text, timer_pending, found_in, found_at)
  SELECT incident_id, addr, kind, type_name, parent_addr, done_chan, done_closed, canceled,
         err, cause, deadline_unix_ns, value_key, value_text, timer_pending, found_in,
         found_at
    FROM temp.context_v11 ORDER BY incident_id, addr;

DROP TABLE temp.context_v11;

-- The rows of view defer_call (version 1's table, same meaning). func: text
-- or an incident_text id. kind: 0 'open-coded', 1 'stack', 2 'heap',
-- 3 'rangefunc'.
CREATE TABLE defer_call_base (
  incident_id INTEGER NOT NULL REFERENCES incident (id),
  goid INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  func,
  frame_depth INTEGER,
  kind NOT NULL,
  PRIMARY KEY (incident_id, goid, seq)
) WITHOUT ROWID;

INSERT INTO defer_call_base
  SELECT incident_id, goid, seq, func, frame_depth,
         CASE kind WHEN 'open-coded' THEN 0 WHEN 'stack' THEN 1 WHEN 'heap' THEN 2
                   WHEN 'rangefunc' THEN 3 ELSE kind END
    FROM main.defer_call ORDER BY incident_id, goid, seq;

DROP TABLE main.defer_call;

-- Each goroutine's pending deferred calls, in the order they will run:
-- version 1's table defer_call, same columns and order, read from
-- defer_call_base.
CREATE VIEW defer_call AS
SELECT d.incident_id AS incident_id,
       d.goid AS goid,
       d.seq AS seq,
       CASE WHEN typeof(d.func) = 'integer'
            THEN (SELECT t.text FROM incident_text AS t
                   WHERE t.incident_id = d.incident_id AND t.id = d.func)
            ELSE d.func END AS func,
       d.frame_depth AS frame_depth,
       CASE d.kind WHEN 0 THEN 'open-coded' WHEN 1 THEN 'stack' WHEN 2 THEN 'heap'
                   WHEN 3 THEN 'rangefunc' ELSE d.kind END AS kind
  FROM defer_call_base AS d;

CREATE TRIGGER defer_call_insert INSTEAD OF INSERT ON defer_call
BEGIN
  INSERT INTO defer_call_base (incident_id, goid, seq, func, frame_depth, kind)
  VALUES (NEW.incident_id, NEW.goid, NEW.seq,
          CASE WHEN typeof(NEW.func) IN ('integer', 'real')
               THEN CAST(NEW.func AS TEXT) ELSE NEW.func END,
          NEW.frame_depth,
          CASE NEW.kind WHEN 'open-coded' THEN 0 WHEN 'stack' THEN 1 WHEN 'heap' THEN 2
                        WHEN 'rangefunc' THEN 3
                        ELSE CASE WHEN typeof(NEW.kind) IN ('integer', 'real')
                                  THEN CAST(NEW.kind AS TEXT) ELSE NEW.kind END END);
END;

CREATE TRIGGER defer_call_delete INSTEAD OF DELETE ON defer_call
BEGIN
  DELETE FROM defer_call_base
   WHERE incident_id = OLD.incident_id AND goid = OLD.goid AND seq = OLD.seq;
END;

CREATE TRIGGER defer_call_update INSTEAD OF UPDATE ON defer_call
BEGIN
  DELETE FROM defer_call_base
   WHERE incident_id = OLD.incident_id AND goid = OLD.goid AND seq = OLD.seq;
  INSERT INTO defer_call (incident_id, goid, seq, func, frame_depth, kind)
  VALUES (NEW.incident_id, NEW.goid, NEW.seq, NEW.func, NEW.frame_depth, NEW.kind);
END;

-- The rows of view goroutine (version 1's table, same meaning). status:
-- 0 'idle', 1 'runnable', 2 'running', 3 'syscall', 4 'waiting', 5 'dead',
-- 6 'copystack', 7 'preempted', 8 'leaked', 9 '???'. created_by_func,
-- created_by_file and start_func: text or an incident_text id: 100,000
-- goroutines of a server name a few dozen functions. wait_reason stays text:
-- the indexes look goroutines up by it.
CREATE TABLE goroutine_base (
  incident_id INTEGER NOT NULL REFERENCES incident (id),
  goid INTEGER NOT NULL,
  status NOT NULL,
  status_code INTEGER NOT NULL,
  wait_reason TEXT,
  wait_since_ns INTEGER,
  wait_minutes INTEGER,
  creator_goid INTEGER,
  created_by_func,
  created_by_file,
  created_by_line INTEGER,
  created_by_pc_offset INTEGER,
  start_func,
  is_system INTEGER NOT NULL CHECK (is_system IN (0, 1)),
  thread_id INTEGER,
  locked INTEGER NOT NULL CHECK (locked IN (0, 1)),
  labels TEXT,
  stack_id INTEGER NOT NULL,
  g_addr INTEGER NOT NULL,
  stack_error TEXT,
  PRIMARY KEY (incident_id, goid),
  FOREIGN KEY (incident_id, stack_id) REFERENCES stack (incident_id, stack_id)
) WITHOUT ROWID;

INSERT INTO goroutine_base
  SELECT incident_id, goid,
         CASE status WHEN 'idle' THEN 0 WHEN 'runnable' THEN 1
         WHEN 'running' THEN 2 WHEN 'syscall' THEN 3 WHEN 'waiting' THEN 4
         WHEN 'dead' THEN 5 WHEN 'copystack' THEN 6 WHEN 'preempted' THEN 7
         WHEN 'leaked' THEN 8 WHEN '???' THEN 9 ELSE status END,
         status_code, wait_reason, wait_since_ns, wait_minutes, creator_goid,
           created_by_func, created_by_file, created_by_line, created_by_pc_offset,
           start_func, is_system, thread_id, locked, labels, stack_id, g_addr, stack_error
    FROM main.goroutine ORDER BY incident_id, goid;

DROP TABLE main.goroutine;

-- Version 2's indexes, on the base table (a query naming one in INDEXED BY
-- reads goroutine_base). goroutine_by_wait now holds only the waits that
-- can never end (nil channels, an empty select), which view leak_suspect
-- looks up by reason: an entry per goroutine cost 2 MB for 100,000 of them
-- and served no query of gocoroner's. A lookup by another reason reads
-- goroutine_by_stack_wait, which holds every goroutine's wait_reason.
CREATE INDEX goroutine_by_wait ON goroutine_base (incident_id, wait_reason)
  WHERE wait_reason IN ('chan receive (nil chan)', 'chan send (nil chan)', 'select (no cases)');
-- The covering index of goroutine grouping (view goroutine_bucket).
CREATE INDEX goroutine_by_stack_wait ON goroutine_base
  (incident_id, stack_id, is_system, wait_minutes, wait_reason, status);

-- One row per goroutine of an incident: version 1's table goroutine, same
-- columns in the same order (see there), read from goroutine_base.
CREATE VIEW goroutine AS
SELECT g.incident_id AS incident_id,
       g.goid AS goid,
       CASE g.status WHEN 0 THEN 'idle' WHEN 1 THEN 'runnable'
       WHEN 2 THEN 'running' WHEN 3 THEN 'syscall' WHEN 4 THEN 'waiting'
       WHEN 5 THEN 'dead' WHEN 6 THEN 'copystack' WHEN 7 THEN 'preempted'
       WHEN 8 THEN 'leaked' WHEN 9 THEN '???' ELSE g.status END AS status,
       g.status_code AS status_code,
       g.wait_reason AS wait_reason,
       g.wait_since_ns AS wait_since_ns,
       g.wait_minutes AS wait_minutes,
       g.creator_goid AS creator_goid,
       CASE WHEN typeof(g.created_by_func) = 'integer'
            THEN (SELECT t.text FROM incident_text AS t
                   WHERE t.incident_id = g.incident_id AND t.id = g.created_by_func)
            ELSE g.created_by_func END AS created_by_func,
       CASE WHEN typeof(g.created_by_file) = 'integer'
            THEN (SELECT t.text FROM incident_text AS t
                   WHERE t.incident_id = g.incident_id AND t.id = g.created_by_file)
            ELSE g.created_by_file END AS created_by_file,
       g.created_by_line AS created_by_line,
       g.created_by_pc_offset AS created_by_pc_offset,
       CASE WHEN typeof(g.start_func) = 'integer'
            THEN (SELECT t.text FROM incident_text AS t
                   WHERE t.incident_id = g.incident_id AND t.id = g.start_func)
            ELSE g.start_func END AS start_func,
       g.is_system AS is_system,
       g.thread_id AS thread_id,
       g.locked AS locked,
       g.labels AS labels,
       g.stack_id AS stack_id,
       g.g_addr AS g_addr,
       g.stack_error AS stack_error
  FROM goroutine_base AS g;

CREATE TRIGGER goroutine_insert INSTEAD OF INSERT ON goroutine
BEGIN
  INSERT INTO goroutine_base (incident_id, goid, status, status_code, wait_reason,
    wait_since_ns, wait_minutes, creator_goid, created_by_func, created_by_file,
    created_by_line, created_by_pc_offset, start_func, is_system, thread_id, locked,
    labels, stack_id, g_addr, stack_error)
  VALUES (NEW.incident_id, NEW.goid,
          CASE NEW.status WHEN 'idle' THEN 0 WHEN 'runnable' THEN 1
          WHEN 'running' THEN 2 WHEN 'syscall' THEN 3 WHEN 'waiting' THEN 4
          WHEN 'dead' THEN 5 WHEN 'copystack' THEN 6 WHEN 'preempted' THEN 7
          WHEN 'leaked' THEN 8 WHEN '???' THEN 9 ELSE CASE
          WHEN typeof(NEW.status) IN ('integer', 'real') THEN CAST(NEW.status AS TEXT)
            ELSE NEW.status END END,
          NEW.status_code, NEW.wait_reason, NEW.wait_since_ns, NEW.wait_minutes,
          NEW.creator_goid,
          CASE WHEN typeof(NEW.created_by_func) IN ('integer', 'real')
               THEN CAST(NEW.created_by_func AS TEXT) ELSE NEW.created_by_func END,
          CASE WHEN typeof(NEW.created_by_file) IN ('integer', 'real')
               THEN CAST(NEW.created_by_file AS TEXT) ELSE NEW.created_by_file END,
          NEW.created_by_line, NEW.created_by_pc_offset,
          CASE WHEN typeof(NEW.start_func) IN ('integer', 'real')
               THEN CAST(NEW.start_func AS TEXT) ELSE NEW.start_func END,
          NEW.is_system, NEW.thread_id, NEW.locked, NEW.labels, NEW.stack_id, NEW.g_addr,
          NEW.stack_error);
END;

CREATE TRIGGER goroutine_delete INSTEAD OF DELETE ON goroutine
BEGIN
  DELETE FROM goroutine_base WHERE incident_id = OLD.incident_id AND goid = OLD.goid;
END;

CREATE TRIGGER goroutine_update INSTEAD OF UPDATE ON goroutine
BEGIN
  DELETE FROM goroutine_base WHERE incident_id = OLD.incident_id AND goid = OLD.goid;
  INSERT INTO goroutine (incident_id, goid, status, status_code, wait_reason,
    wait_since_ns, wait_minutes, creator_goid, created_by_func, created_by_file,
    created_by_line, created_by_pc_offset, start_func, is_system, thread_id, locked,
    labels, stack_id, g_addr, stack_error)
  VALUES (NEW.incident_id, NEW.goid, NEW.status, NEW.status_code, NEW.wait_reason,
    NEW.wait_since_ns, NEW.wait_minutes, NEW.creator_goid, NEW.created_by_func,
    NEW.created_by_file, NEW.created_by_line, NEW.created_by_pc_offset, NEW.start_func,
    NEW.is_system, NEW.thread_id, NEW.locked, NEW.labels, NEW.stack_id, NEW.g_addr,
    NEW.stack_error);
END;

-- The rows of view wait_reach (version 2's table, same meaning). reached_by:
-- 0 'global', 1 'goroutine', NULL.
CREATE TABLE wait_reach_base (
  incident_id INTEGER NOT NULL REFERENCES incident (id),
  goid INTEGER NOT NULL,
  obj_addr INTEGER NOT NULL,
  reached_by CHECK (reached_by IN (0, 1)),
  via_goid INTEGER,
  PRIMARY KEY (incident_id, goid, obj_addr)
) WITHOUT ROWID;

INSERT INTO wait_reach_base
  SELECT incident_id, goid, obj_addr, CASE reached_by WHEN 'global' THEN 0 WHEN
    'goroutine' THEN 1 ELSE reached_by END, via_goid
    FROM main.wait_reach ORDER BY incident_id, goid, obj_addr;

DROP TABLE main.wait_reach;

-- One row per object a blocked goroutine waits on: version 2's table
-- wait_reach, same columns in the same order, read from wait_reach_base.
CREATE VIEW wait_reach AS
SELECT x.incident_id AS incident_id,
       x.goid AS goid,
       x.obj_addr AS obj_addr,
       CASE x.reached_by WHEN 0 THEN 'global' WHEN 1 THEN 'goroutine' ELSE x.reached_by
         END AS reached_by,
       x.via_goid AS via_goid
  FROM wait_reach_base AS x;

CREATE TRIGGER wait_reach_insert INSTEAD OF INSERT ON wait_reach
BEGIN
  INSERT INTO wait_reach_base (incident_id, goid, obj_addr, reached_by, via_goid)
  VALUES (NEW.incident_id,
          NEW.goid,
          NEW.obj_addr,
          CASE NEW.reached_by WHEN 'global' THEN 0 WHEN 'goroutine' THEN 1
               ELSE CASE WHEN typeof(NEW.reached_by) IN ('integer', 'real')
                         THEN CAST(NEW.reached_by AS TEXT) ELSE NEW.reached_by END END,
          NEW.via_goid);
END;

CREATE TRIGGER wait_reach_delete INSTEAD OF DELETE ON wait_reach
BEGIN
  DELETE FROM wait_reach_base WHERE incident_id = OLD.incident_id AND goid = OLD.goid
    AND obj_addr = OLD.obj_addr;
END;

CREATE TRIGGER wait_reach_update INSTEAD OF UPDATE ON wait_reach
BEGIN
  DELETE FROM wait_reach_base WHERE incident_id = OLD.incident_id AND goid = OLD.goid
    AND obj_addr = OLD.obj_addr;
  INSERT INTO wait_reach (incident_id, goid, obj_addr, reached_by, via_goid)
  VALUES (NEW.incident_id, NEW.goid, NEW.obj_addr, NEW.reached_by, NEW.via_goid);
END;

-- The rows of view chan_wait (version 1's table, same meaning). direction:
-- 0 'recv', 1 'send' (the order of the text, so the key orders rows as
-- before), in the key and in chan_wait_by_chan.
CREATE TABLE chan_wait_base (
  incident_id INTEGER NOT NULL REFERENCES incident (id),
  goid INTEGER NOT NULL,
  chan_addr INTEGER NOT NULL,
  direction NOT NULL CHECK (direction IN (0, 1)),
  in_select INTEGER NOT NULL CHECK (in_select IN (0, 1)),
  queue_pos INTEGER NOT NULL,
  PRIMARY KEY (incident_id, goid, chan_addr, direction)
) WITHOUT ROWID;

INSERT INTO chan_wait_base
  SELECT incident_id, goid, chan_addr, CASE direction WHEN 'recv' THEN 0 WHEN 'send'
    THEN 1 ELSE direction END, in_select, queue_pos
    FROM main.chan_wait ORDER BY incident_id, goid, chan_addr, direction;

DROP TABLE main.chan_wait;

-- "Who waits on this channel?" Queries that name it in INDEXED BY read
-- chan_wait_base.
CREATE INDEX chan_wait_by_chan ON chan_wait_base (incident_id, chan_addr);

-- One row per goroutine per channel it is queued on: version 1's table
-- chan_wait, same columns in the same order, read from chan_wait_base.
CREATE VIEW chan_wait AS
SELECT x.incident_id AS incident_id,
       x.goid AS goid,
       x.chan_addr AS chan_addr,
       CASE x.direction WHEN 0 THEN 'recv' WHEN 1 THEN 'send' ELSE x.direction END AS
         direction,
       x.in_select AS in_select,
       x.queue_pos AS queue_pos
  FROM chan_wait_base AS x;

CREATE TRIGGER chan_wait_insert INSTEAD OF INSERT ON chan_wait
BEGIN
  INSERT INTO chan_wait_base (incident_id, goid, chan_addr, direction, in_select, queue_pos)
  VALUES (NEW.incident_id,
          NEW.goid,
          NEW.chan_addr,
          CASE NEW.direction WHEN 'recv' THEN 0 WHEN 'send' THEN 1
               ELSE CASE WHEN typeof(NEW.direction) IN ('integer', 'real')
                         THEN CAST(NEW.direction AS TEXT) ELSE NEW.direction END END,
          NEW.in_select,
          NEW.queue_pos);
END;

CREATE TRIGGER chan_wait_delete INSTEAD OF DELETE ON chan_wait
BEGIN
  DELETE FROM chan_wait_base WHERE incident_id = OLD.incident_id AND goid = OLD.goid AND
    chan_addr = OLD.chan_addr AND direction = CASE OLD.direction WHEN 'recv' THEN 0 WHEN
    'send' THEN 1 ELSE OLD.direction END;
END;

CREATE TRIGGER chan_wait_update INSTEAD OF UPDATE ON chan_wait
BEGIN
  DELETE FROM chan_wait_base WHERE incident_id = OLD.incident_id AND goid = OLD.goid AND
    chan_addr = OLD.chan_addr AND direction = CASE OLD.direction WHEN 'recv' THEN 0 WHEN
    'send' THEN 1 ELSE OLD.direction END;
  INSERT INTO chan_wait (incident_id, goid, chan_addr, direction, in_select, queue_pos)
  VALUES (NEW.incident_id, NEW.goid, NEW.chan_addr, NEW.direction, NEW.in_select,
    NEW.queue_pos);
END;

-- The rows of view goroutine_context (version 4's table, with version 7's
-- evidence; same meaning). how packs found_by and evidence, words of 82,000
-- rows of ctxgen: how % 2 is found_by (0 'dwarf', 1 'stack-scan') and
-- how / 2 the evidence (0 NULL, 1 'dwarf-live', 2 'dwarf-unverified',
-- 3 'stack-scan-live', 4 'stack-scan-unverified'). A row written through
-- the view with a word outside those (which version 11's CHECK
-- constraints refused) gets a how that fails this table's CHECK.
CREATE TEMP TABLE goroutine_context_v11 AS SELECT * FROM main.goroutine_context;

DROP TABLE main.goroutine_context;

CREATE TABLE goroutine_context_base (
  incident_id INTEGER NOT NULL REFERENCES incident (id),
  goid INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  frame_depth INTEGER,
  var_name TEXT,
  ctx_addr INTEGER NOT NULL,
  how NOT NULL CHECK (typeof(how) = 'integer' AND how BETWEEN 0 AND 9),
  PRIMARY KEY (incident_id, goid, seq)
) WITHOUT ROWID;

-- "Who holds this context?" Queries that name it in INDEXED BY read
-- goroutine_context_base (and decode how as the view does).
CREATE INDEX goroutine_context_by_ctx ON goroutine_context_base (incident_id, ctx_addr);

-- Which goroutine holds which context, in which frame: version 4's table
-- goroutine_context (with version 7's evidence), same columns in the same
-- order, read from goroutine_context_base.
CREATE VIEW goroutine_context AS
SELECT x.incident_id AS incident_id,
       x.goid AS goid,
       x.seq AS seq,
       x.frame_depth AS frame_depth,
       x.var_name AS var_name,
       x.ctx_addr AS ctx_addr,
       CASE x.how % 2 WHEN 0 THEN 'dwarf' ELSE 'stack-scan' END AS found_by,
       CASE x.how / 2 WHEN 1 THEN 'dwarf-live' WHEN 2 THEN 'dwarf-unverified'
            WHEN 3 THEN 'stack-scan-live' WHEN 4 THEN 'stack-scan-unverified' END AS evidence
  FROM goroutine_context_base AS x;

CREATE TRIGGER goroutine_context_insert INSTEAD OF INSERT ON goroutine_context
BEGIN
  INSERT INTO goroutine_context_base (incident_id, goid, seq, frame_depth, var_name, ctx_addr,
                                      how)
  VALUES (NEW.incident_id, NEW.goid, NEW.seq, NEW.frame_depth,
          CASE WHEN typeof(NEW.var_name) IN ('integer', 'real')
               THEN CAST(NEW.var_name AS TEXT) ELSE NEW.var_name END,
          NEW.ctx_addr,
          -- Any word outside the lists makes the sum NULL: refused.
          CASE NEW.found_by WHEN 'dwarf' THEN 0 WHEN 'stack-scan' THEN 1 END
          + 2 * (CASE WHEN NEW.evidence IS NULL THEN 0
                      ELSE CASE NEW.evidence WHEN 'dwarf-live' THEN 1 WHEN 'dwarf-unverified' THEN 2
                                             WHEN 'stack-scan-live' THEN 3
                                             WHEN 'stack-scan-unverified' THEN 4 END END));
END;

CREATE TRIGGER goroutine_context_delete INSTEAD OF DELETE ON goroutine_context
BEGIN
  DELETE FROM goroutine_context_base
   WHERE incident_id = OLD.incident_id AND goid = OLD.goid AND seq = OLD.seq;
END;

CREATE TRIGGER goroutine_context_update INSTEAD OF UPDATE ON goroutine_context
BEGIN
  DELETE FROM goroutine_context_base
   WHERE incident_id = OLD.incident_id AND goid = OLD.goid AND seq = OLD.seq;
  INSERT INTO goroutine_context (incident_id, goid, seq, frame_depth, var_name, ctx_addr,
                                 found_by, evidence)
  VALUES (NEW.incident_id, NEW.goid, NEW.seq, NEW.frame_depth, NEW.var_name, NEW.ctx_addr,
          NEW.found_by, NEW.evidence);
END;

INSERT INTO main.goroutine_context (incident_id, goid, seq, frame_depth, var_name, ctx_addr,
                                    found_by, evidence)
  SELECT incident_id, goid, seq, frame_depth, var_name, ctx_addr, found_by, evidence
    FROM temp.goroutine_context_v11 ORDER BY incident_id, goid, seq;

DROP TABLE temp.goroutine_context_v11;

-- @version 13

-- Where incident.captured_at came from, which says how far to trust it:
-- 'file name' (the dump time a systemd-coredump file name carries:
-- core.COMM.UID.BOOTID.PID.USEC), 'option' ('analyze --captured-at'), or
-- 'file mtime' (the core file's modification time, which a copy with cp,
-- scp or git replaces with the copy's). NULL when captured_at is NULL.
-- Incidents ingested before version 13 had their time from the file's.
ALTER TABLE incident ADD COLUMN captured_at_source TEXT
  CHECK (captured_at_source IN ('file name', 'option', 'file mtime'));
UPDATE incident SET captured_at_source = 'file mtime' WHERE captured_at IS NOT NULL;

-- The executable's file name as the core records it: the base name of the
-- file mapped at the entry point (NT_FILE), else the process's name
-- (NT_PRPSINFO, at most 15 bytes). exe_path is where the executable was
-- found at ingest, often a copy under another name ('exe', 'app.debug');
-- NULL when the core names neither, and for incidents of version 12 and
-- before.
ALTER TABLE incident ADD COLUMN exe_name TEXT;

-- Whether the process's own traceback prints pprof labels in goroutine
-- headers ("goroutine 7 [select] {handler: checkout}:"): 1 yes, 0 no, as
-- its runtime.debug.tracebacklabels said at the dump (GODEBUG
-- tracebacklabels: Go 1.26 added it, default 0; Go 1.27 made it 1; go.mod's
-- godebug lines and $GODEBUG change it; earlier releases never print
-- labels: 0). 'gocoroner traceback' follows it. NULL when it could not be
-- read, and in incidents ingested before version 13.
ALTER TABLE incident ADD COLUMN traceback_labels INTEGER CHECK (traceback_labels IN (0, 1));

-- @version 14

-- The goroutines of each incident grouped once, at ingest, by what every
-- summary that counts all of them groups on: the stack, user or system, the
-- state Go's traceback prints (the wait reason, else the status) and the
-- function whose go statement created them. 'analyze', 'report' and the
-- views goroutine_bucket (arms 'stack', 'funcs', 'creator') and
-- _stack_funcs (the signature, 'diff') add up these rows, a few per stack,
-- where they read 100,000 goroutine rows before: 0.2 to 0.4 s of every
-- analyze of a core that size (bench/README.md). gocoroner's writer fills
-- it in the pass that writes the goroutines.
CREATE TABLE goroutine_group (
  incident_id INTEGER NOT NULL REFERENCES incident (id),
  -- The stack the group's goroutines share (stack.stack_id).
  stack_id INTEGER NOT NULL,
  -- goroutine.is_system, the same for all of them.
  is_system INTEGER NOT NULL CHECK (is_system IN (0, 1)),
  -- COALESCE(goroutine.wait_reason, goroutine.status), the same for all.
  state TEXT NOT NULL,
  -- goroutine.created_by_func, the same for all; NULL: created by no go
  -- statement (or not known).
  creator TEXT,
  -- How many goroutines; the smallest goid among them (unique: the groups
  -- of an incident share no goroutine), which also keys the row.
  goroutines INTEGER NOT NULL,
  example_goid INTEGER NOT NULL,
  -- The shortest and longest goroutine.wait_minutes of the group; NULL
  -- when none of them has one.
  min_wait_minutes INTEGER,
  max_wait_minutes INTEGER,
  PRIMARY KEY (incident_id, stack_id, example_goid)
) WITHOUT ROWID;

-- 1 once goroutine_group holds the incident's rows; NULL for an incident
-- stored before version 14, whose groups gocoroner computes from its
-- goroutine rows (one GROUP BY) the first time a version-14 gocoroner opens
-- the database for writing. After changing an incident's goroutine rows by
-- hand, set it to NULL: the next gocoroner command that opens the database
-- for writing counts the incident's groups again.
ALTER TABLE incident ADD COLUMN goroutine_groups INTEGER;

-- The counts of an incident's findings that 'analyze' and 'report --short'
-- print, one row per incident, written with incident_finding from the same
-- evaluation of the finding views (summary version 3 on): 'analyze' read
-- them again, 0.05 to 0.15 s after the ingest had just computed them. The
-- views' rows for the incident: goroutines of cancel_unobserved, contexts
-- of cancel_broken_link, distinct goroutines of leak_suspect, wait cycles
-- (wait_cycle.cycle_id) and their distinct goroutines, contexts of
-- cancel_detached, rows of context_lock_wait. Incidents summarized before
-- have no row until gocoroner summarizes them again (the next time it
-- opens the database for writing).
CREATE TABLE incident_finding_count (
  incident_id INTEGER NOT NULL PRIMARY KEY REFERENCES incident (id),
  unobserved INTEGER NOT NULL,
  broken_links INTEGER NOT NULL,
  leaked INTEGER NOT NULL,
  cycles INTEGER NOT NULL,
  detached INTEGER NOT NULL,
  lock_waits INTEGER NOT NULL,
  -- 1 when the heap was scanned (a heap_scan row): leaks were looked for.
  heap_scanned INTEGER NOT NULL CHECK (heap_scanned IN (0, 1)),
  in_cycles INTEGER NOT NULL,
  -- The groups the leaked goroutines outside cycles are in: a component of
  -- wait_member each, a goroutine in none a group of its own.
  leak_groups INTEGER NOT NULL,
  -- Goroutines stuck behind (goroutine_blocker) a goroutine of
  -- cancel_unobserved or leak_suspect, that cancel_unobserved does not
  -- count itself.
  victims INTEGER NOT NULL
);

-- @version 15

-- context_child's rows in context_base. A registered child sits in the
-- children map of one cancelCtx (the one its propagateCancel found), so
-- the map it is in is a column of its context row: 180,960 rows of their
-- own and a B-tree of 4.0 MB on ctxgen's core, written as one more
-- pass of the incident, became 7 bytes of the rows they were about.
-- registered_in: the parent_addr of view context_child (the cancelCtx
-- whose children map holds this context); NULL: in no children map known.
ALTER TABLE context_base ADD COLUMN registered_in INTEGER;

-- The pairs that do not fit the column: a child with no context row, or a
-- child found in a second map (a core caught in the middle of a change,
-- or a damaged one). gocoroner writes none for a consistent core.
CREATE TABLE context_child_extra (
  incident_id INTEGER NOT NULL REFERENCES incident (id),
  parent_addr INTEGER NOT NULL,
  child_addr INTEGER NOT NULL,
  PRIMARY KEY (incident_id, parent_addr, child_addr)
) WITHOUT ROWID;

-- Each child's first pair (the lowest parent_addr) goes into the column,
-- the rest into context_child_extra.
CREATE TEMP TABLE context_child_first (
  incident_id INTEGER NOT NULL,
  child_addr INTEGER NOT NULL,
  parent_addr INTEGER NOT NULL,
  PRIMARY KEY (incident_id, child_addr)
) WITHOUT ROWID;

INSERT INTO temp.context_child_first (incident_id, child_addr, parent_addr)
  SELECT incident_id, child_addr, min(parent_addr) FROM main.context_child
   GROUP BY incident_id, child_addr;

UPDATE main.context_base
   SET registered_in = (SELECT f.parent_addr FROM temp.context_child_first AS f
                         WHERE f.incident_id = context_base.incident_id
                           AND f.child_addr = context_base.addr)
 WHERE EXISTS (SELECT 1 FROM temp.context_child_first AS f
                WHERE f.incident_id = context_base.incident_id
                  AND f.child_addr = context_base.addr);

INSERT INTO main.context_child_extra (incident_id, parent_addr, child_addr)
  SELECT cc.incident_id, cc.parent_addr, cc.child_addr FROM main.context_child AS cc
   WHERE NOT EXISTS (SELECT 1 FROM main.context_base AS c
                      WHERE c.incident_id = cc.incident_id AND c.addr = cc.child_addr
                        AND c.registered_in = cc.parent_addr)
   ORDER BY cc.incident_id, cc.parent_addr, cc.child_addr;

DROP TABLE temp.context_child_first;

DROP TABLE main.context_child;

-- Children registered in a cancelCtx's children map: version 1's table
-- context_child, with the same columns and meaning (see there), read from
-- context_base.registered_in and context_child_extra. Its rows come in no
-- particular order (the table's were in key order): say ORDER BY.
CREATE VIEW context_child AS
SELECT c.incident_id AS incident_id, c.registered_in AS parent_addr, c.addr AS child_addr
  FROM context_base AS c
 WHERE c.registered_in IS NOT NULL
UNION ALL
SELECT x.incident_id, x.parent_addr, x.child_addr FROM context_child_extra AS x;

-- Writing view context_child: a pair goes into the child's row when it
-- has one that is in no map yet, else into context_child_extra; a pair
-- already there is refused, as the table's primary key refused it.
CREATE TRIGGER context_child_insert INSTEAD OF INSERT ON context_child
BEGIN
  SELECT RAISE(ABORT, 'UNIQUE constraint failed: context_child.incident_id, context_child.parent_addr, context_child.child_addr')
   WHERE EXISTS (SELECT 1 FROM context_base
                  WHERE incident_id = NEW.incident_id AND addr = NEW.child_addr
                    AND registered_in = NEW.parent_addr)
      OR EXISTS (SELECT 1 FROM context_child_extra
                  WHERE incident_id = NEW.incident_id AND parent_addr = NEW.parent_addr
                    AND child_addr = NEW.child_addr);
  INSERT INTO context_child_extra (incident_id, parent_addr, child_addr)
    SELECT NEW.incident_id, NEW.parent_addr, NEW.child_addr
     WHERE NOT EXISTS (SELECT 1 FROM context_base
                        WHERE incident_id = NEW.incident_id AND addr = NEW.child_addr
                          AND registered_in IS NULL);
  UPDATE context_base SET registered_in = NEW.parent_addr
   WHERE incident_id = NEW.incident_id AND addr = NEW.child_addr AND registered_in IS NULL;
END;

CREATE TRIGGER context_child_delete INSTEAD OF DELETE ON context_child
BEGIN
  UPDATE context_base SET registered_in = NULL
   WHERE incident_id = OLD.incident_id AND addr = OLD.child_addr
     AND registered_in = OLD.parent_addr;
  DELETE FROM context_child_extra
   WHERE incident_id = OLD.incident_id AND parent_addr = OLD.parent_addr
     AND child_addr = OLD.child_addr;
END;

CREATE TRIGGER context_child_update INSTEAD OF UPDATE ON context_child
BEGIN
  DELETE FROM context_child WHERE incident_id = OLD.incident_id
     AND parent_addr = OLD.parent_addr AND child_addr = OLD.child_addr;
  INSERT INTO context_child (incident_id, parent_addr, child_addr)
  VALUES (NEW.incident_id, NEW.parent_addr, NEW.child_addr);
END;

-- A context deleted or changed through view context keeps its registration
-- (the table context_child kept its row): it moves to context_child_extra.
DROP TRIGGER main.context_delete;

CREATE TRIGGER context_delete INSTEAD OF DELETE ON context
BEGIN
  INSERT OR IGNORE INTO context_child_extra (incident_id, parent_addr, child_addr)
    SELECT incident_id, registered_in, addr FROM context_base
     WHERE incident_id = OLD.incident_id AND addr = OLD.addr AND registered_in IS NOT NULL;
  DELETE FROM context_base WHERE incident_id = OLD.incident_id AND addr = OLD.addr;
END;

DROP TRIGGER main.context_update;

CREATE TRIGGER context_update INSTEAD OF UPDATE ON context
BEGIN
  DELETE FROM context WHERE incident_id = OLD.incident_id AND addr = OLD.addr;
  INSERT INTO context (incident_id, addr, kind, type_name, parent_addr, done_chan,
                       done_closed, canceled, err, cause, deadline_unix_ns, value_key,
                       value_text, timer_pending, found_in, found_at)
  VALUES (NEW.incident_id, NEW.addr, NEW.kind, NEW.type_name, NEW.parent_addr, NEW.done_chan,
          NEW.done_closed, NEW.canceled, NEW.err, NEW.cause, NEW.deadline_unix_ns,
          NEW.value_key, NEW.value_text, NEW.timer_pending, NEW.found_in, NEW.found_at);
END;
