-- SPDX-License-Identifier: Apache-2.0
-- signature_term: the terms of an incident's signature, with their weights.
--
-- What: what an incident is made of, in words that survive a rebuild of the
--   same code (other addresses, lines, inlining or Go release): one term per
--   kind and culprit of its findings, 'finding:KIND:CULPRIT' (from its
--   incident_finding rows), and one per group of its 32 largest groups of user
--   goroutines by function names, 'bucket:FUNC < FUNC < ...' (view
--   _stack_funcs: innermost first, without the frames of runtime.*,
--   internal/*, sync.* and compiler wrappers, which change between Go
--   releases; ties broken by name). A term's weight is 1 + ln(N), N the goroutines (or
--   contexts) it stands for: a thousand goroutines stuck in one place weigh
--   more than one, but do not drown the rest.
-- Why: gocoroner keeps these rows per incident (table incident_signature,
--   written at ingest); 'gocoroner similar' ranks incidents by the weighted
--   Jaccard index of their terms, sum(min(weight)) / sum(max(weight)) over
--   the terms of both: the same hang, rebuilt, scores near 1.
-- Example: SELECT term, round(weight, 2) FROM signature_term
--           WHERE incident_id = 1 ORDER BY weight DESC;
--
-- @column incident_id: the incident (incident.id)
-- @column term: 'finding:KIND:CULPRIT' (CULPRIT '?' when there is none) or
--   'bucket:FUNCS'
-- @column weight: 1 + ln(goroutines or contexts the term stands for)
-- @column count: those goroutines or contexts
CREATE VIEW signature_term AS
SELECT fi.incident_id AS incident_id,
       'finding:' || fi.kind || ':' || COALESCE(fi.culprit, '?') AS term,
       1 + ln(sum(fi.count)) AS weight,
       sum(fi.count) AS count
  FROM incident_finding AS fi
 GROUP BY fi.incident_id, fi.kind, COALESCE(fi.culprit, '?')
UNION ALL
SELECT rk.incident_id, 'bucket:' || rk.funcs, 1 + ln(rk.n), rk.n
  FROM (SELECT b.incident_id, b.funcs, b.n,
               row_number() OVER (PARTITION BY b.incident_id ORDER BY b.n DESC, b.funcs) AS rank
          FROM (SELECT sf.incident_id, sf.funcs, sum(sf.goroutines) AS n
                  FROM _stack_funcs AS sf
                 GROUP BY sf.incident_id, sf.funcs) AS b) AS rk
 WHERE rk.rank <= 32;
