-- SPDX-License-Identifier: Apache-2.0
-- diagnostics: what gocoroner noted while reading an incident's core: what
-- it could not read or understand, worked around, or counted.
--
-- What: the diagnostic rows of an incident (store/schema.sql), most severe
--   first: a goroutine whose stack could not be unwound, labels or a context
--   that could not be read, a list cut at its limit, how the heap was
--   scanned. Each names the goroutine or address involved.
-- Why: the findings are only as complete as what was read: before trusting
--   that nothing is there, look at what could not be read. 'analyze' says how
--   many there are and names this query.
-- Example: gocoroner query --incident 1 diagnostics
--          SELECT severity, what, count(*) FROM diagnostics
--           WHERE incident_id = 1 GROUP BY 1, 2;
--
-- @column incident_id: the incident (incident.id)
-- @column severity: 'error' (data lost), 'warning' (data doubtful or worked
--   around) or 'info'
-- @column what: the kind, e.g. 'unwind', 'allgs', 'labels', 'goid'
-- @column detail: one line for a person, naming the goroutine or address
CREATE VIEW diagnostics AS
SELECT d.incident_id AS incident_id,
       d.severity AS severity,
       d.what AS what,
       d.detail AS detail
  FROM diagnostic AS d
 ORDER BY d.incident_id,
          CASE d.severity WHEN 'error' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END, d.id;
