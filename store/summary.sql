-- SPDX-License-Identifier: Apache-2.0
-- summary.sql: an incident's summary rows, written by the ingest in its
-- transaction and again for incidents of older databases (store/summary.c).
-- This file is compiled into gocoroner (scripts/sql2c.sh -> store_summary_sql)
-- and run statement by statement, ?1 the incident and ?2 the summary version
-- (STORE_SUMMARY_VERSION).
--
-- Each finding view is evaluated once, into a temporary table of the columns
-- the summary reads, and every summary row comes from those:
-- incident_finding grouped exactly as view finding_group groups
-- (queries/finding_group.sql stays the definition; the corpus tests compare
-- the two on every core), incident_finding_count counted as
-- cli/statements.sql's report_counts counts (the tests compare 'report
-- --short', which reads it, with 'report'), then the signature, which reads
-- incident_finding. Version 2 evaluated the views for incident_finding only,
-- and 'analyze' evaluated them all again for its counts (0.05-0.15 s on the
-- benchmark cores, bench/README.md).

DELETE FROM incident_finding WHERE incident_id = ?1;
DELETE FROM incident_finding_count WHERE incident_id = ?1;
DELETE FROM incident_signature WHERE incident_id = ?1;
DROP TABLE IF EXISTS temp.summary_unobserved;
DROP TABLE IF EXISTS temp.summary_broken;
DROP TABLE IF EXISTS temp.summary_leak;
DROP TABLE IF EXISTS temp.summary_cycle;
CREATE TEMP TABLE summary_unobserved AS
  SELECT goid, func, ctx_kind FROM cancel_unobserved WHERE incident_id = ?1;
CREATE TEMP TABLE summary_broken AS
  SELECT reason, break_type, ctx_type FROM cancel_broken_link WHERE incident_id = ?1;
CREATE TEMP TABLE summary_leak AS
  SELECT goid, func, obj_kind FROM leak_suspect WHERE incident_id = ?1;
CREATE TEMP TABLE summary_cycle AS
  SELECT cycle_id, goid FROM wait_cycle WHERE incident_id = ?1;

-- finding_group's arms, in its order, on the tables above.
INSERT INTO incident_finding (incident_id, kind, culprit, object, count)
SELECT ?1, 'cancel_unobserved', u.func, u.ctx_kind, count(*)
  FROM summary_unobserved AS u GROUP BY u.func, u.ctx_kind
UNION ALL
SELECT ?1, 'cancel_broken_link', b.reason || ' ' || COALESCE(b.break_type, '?'),
       b.ctx_type, count(*)
  FROM summary_broken AS b GROUP BY b.reason, b.break_type, b.ctx_type
UNION ALL
SELECT ?1, 'leak_suspect', l.func, l.obj_kind, count(DISTINCT l.goid)
  FROM summary_leak AS l GROUP BY l.func, l.obj_kind
UNION ALL
SELECT ?1, 'wait_cycle', lw.func, NULL, count(DISTINCT cy.goid)
  FROM summary_cycle AS cy
  JOIN long_wait AS lw ON lw.incident_id = ?1 AND lw.goid = cy.goid
 GROUP BY lw.func
UNION ALL
SELECT ?1, 'cancel_detached', NULL, NULL, count(*)
  FROM cancel_detached AS d WHERE d.incident_id = ?1 GROUP BY d.incident_id
UNION ALL
SELECT ?1, 'context_lock_wait', NULL, c.kind, count(DISTINCT k.ctx_addr)
  FROM sync_wait AS k INDEXED BY sync_wait_by_ctx
  LEFT JOIN context AS c ON c.incident_id = k.incident_id AND c.addr = k.ctx_addr
 WHERE k.incident_id = ?1 AND k.ctx_addr IS NOT NULL
 GROUP BY c.kind;

-- report_counts' subqueries, on the same tables (its f_* tables); the
-- detached contexts as just counted.
INSERT INTO incident_finding_count (incident_id, unobserved, broken_links, leaked, cycles,
  detached, lock_waits, heap_scanned, in_cycles, leak_groups, victims)
SELECT ?1,
  (SELECT count(*) FROM summary_unobserved),
  (SELECT count(*) FROM summary_broken),
  (SELECT count(DISTINCT goid) FROM summary_leak),
  (SELECT count(DISTINCT cycle_id) FROM summary_cycle),
  COALESCE((SELECT sum(count) FROM incident_finding
             WHERE incident_id = ?1 AND kind = 'cancel_detached'), 0),
  (SELECT count(*) FROM context_lock_wait WHERE incident_id = ?1),
  EXISTS (SELECT 1 FROM heap_scan WHERE incident_id = ?1),
  (SELECT count(DISTINCT goid) FROM summary_cycle),
  (SELECT count(DISTINCT COALESCE('c' || m.component_id, 'g' || l.goid))
     FROM summary_leak AS l
     LEFT JOIN wait_member AS m ON m.incident_id = ?1 AND m.goid = l.goid
    WHERE l.goid NOT IN (SELECT goid FROM summary_cycle)),
  (SELECT count(*) FROM goroutine_blocker AS b
     JOIN goroutine_base AS g ON g.incident_id = b.incident_id AND g.goid = b.goid
    WHERE b.incident_id = ?1
      AND (b.culprit_goid IN (SELECT goid FROM summary_unobserved)
           OR b.culprit_goid IN (SELECT goid FROM summary_leak))
      AND b.goid NOT IN (SELECT goid FROM summary_unobserved));

INSERT INTO incident_signature (incident_id, term, weight)
SELECT incident_id, term, weight FROM signature_term WHERE incident_id = ?1;
UPDATE incident SET summary_version = ?2 WHERE id = ?1;
DROP TABLE temp.summary_unobserved;
DROP TABLE temp.summary_broken;
DROP TABLE temp.summary_leak;
DROP TABLE temp.summary_cycle;
