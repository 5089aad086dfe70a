-- SPDX-License-Identifier: Apache-2.0
-- incident_summary: one line per incident of the archive.
--
-- What: every incident with what tells it apart: its name and tags, when the
--   core was captured and ingested, the executable (file name and the start
--   of its build id), the Go release, the goroutines, and how many findings
--   of each kind it has (from the incident_finding rows kept at ingest, so
--   listing hundreds of incidents runs no finding view).
-- Why: the archive's table of contents: 'gocoroner incidents' prints it, and
--   it says which incidents to compare ('gocoroner diff') or to look up
--   ('gocoroner similar').
-- Example: SELECT incident_id, name, captured_at, executable, leak_suspect
--           FROM incident_summary ORDER BY captured_at;
--
-- @column incident_id: the incident (incident.id)
-- @column name: incident.name (NULL if none was given)
-- @column captured_at: incident.captured_at (NULL if unknown)
-- @column ingested_at: incident.ingested_at
-- @column executable: the executable's file name as the core records it
--   (incident.exe_name), else incident.exe_path without its directory
-- @column build_id: the first 12 characters of incident.exe_build_id
-- @column go_version: incident.go_version
-- @column goroutines: incident.goroutine_count
-- @column cancel_unobserved: goroutines blocked holding a canceled context;
--   this and the five counts after it are NULL when the incident's summary
--   rows have not been computed (incident.summary_version NULL)
-- @column cancel_broken_link: live contexts below a canceled ancestor
-- @column leak_suspect: goroutines nothing can wake
-- @column wait_cycle: goroutines in wait cycles
-- @column cancel_detached: contexts detached on purpose (informational)
-- @column context_lock_wait: contexts whose lock goroutines wait on
-- @column tags: the incident's tags as "KEY=VALUE KEY=VALUE", by key; NULL
--   if none
-- @column core_kept: 1 if the core itself is in the archive (core_blob),
--   else 0
CREATE VIEW incident_summary AS
SELECT i.id AS incident_id,
       i.name AS name,
       i.captured_at AS captured_at,
       i.ingested_at AS ingested_at,
       COALESCE(i.exe_name,
                replace(i.exe_path, rtrim(i.exe_path, replace(i.exe_path, '/', '')), ''))
         AS executable,
       substr(i.exe_build_id, 1, 12) AS build_id,
       i.go_version AS go_version,
       i.goroutine_count AS goroutines,
       CASE WHEN i.summary_version IS NOT NULL THEN
         (SELECT COALESCE(sum(fi.count), 0) FROM incident_finding AS fi
           WHERE fi.incident_id = i.id AND fi.kind = 'cancel_unobserved') END AS cancel_unobserved,
       CASE WHEN i.summary_version IS NOT NULL THEN
         (SELECT COALESCE(sum(fi.count), 0) FROM incident_finding AS fi
           WHERE fi.incident_id = i.id AND fi.kind = 'cancel_broken_link') END AS cancel_broken_link,
       CASE WHEN i.summary_version IS NOT NULL THEN
         (SELECT COALESCE(sum(fi.count), 0) FROM incident_finding AS fi
           WHERE fi.incident_id = i.id AND fi.kind = 'leak_suspect') END AS leak_suspect,
       CASE WHEN i.summary_version IS NOT NULL THEN
         (SELECT COALESCE(sum(fi.count), 0) FROM incident_finding AS fi
           WHERE fi.incident_id = i.id AND fi.kind = 'wait_cycle') END AS wait_cycle,
       CASE WHEN i.summary_version IS NOT NULL THEN
         (SELECT COALESCE(sum(fi.count), 0) FROM incident_finding AS fi
           WHERE fi.incident_id = i.id AND fi.kind = 'cancel_detached') END AS cancel_detached,
       CASE WHEN i.summary_version IS NOT NULL THEN
         (SELECT COALESCE(sum(fi.count), 0) FROM incident_finding AS fi
           WHERE fi.incident_id = i.id AND fi.kind = 'context_lock_wait') END AS context_lock_wait,
       (SELECT group_concat(t.key || '=' || t.value, ' ')
          FROM (SELECT key, value FROM incident_tag WHERE incident_id = i.id ORDER BY key) AS t)
         AS tags,
       EXISTS (SELECT 1 FROM core_blob AS b WHERE b.sha256 = i.core_sha256) AS core_kept
  FROM incident AS i;
