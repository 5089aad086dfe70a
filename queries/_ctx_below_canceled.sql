-- SPDX-License-Identifier: Apache-2.0
-- _ctx_below_canceled: private helper. The contexts below each canceled
-- cancel/timer/afterFunc context (the seed), walking down the parent links
-- through contexts without a state of their own ('value', 'stop') and user
-- types, and stopping at a live context with its own state (a broken link)
-- and at 'withoutCancel' (detached on purpose). A canceled child is a seed
-- of its own, so every context appears under its nearest canceled ancestor.
--
-- The rows are computed at ingest (table context_below_canceled, schema
-- version 10; goruntime/ctxcancel.c), at most 1,000 steps down.
--
-- What: seeds (depth 0) and the contexts their cancellation should reach.
-- Why: the shared walk of cancel_unobserved, cancel_broken_link and
--   cancel_detached.
-- Example: SELECT depth, path FROM _ctx_below_canceled WHERE incident_id = 1;
--
-- @column incident_id: the incident (incident.id)
-- @column addr: the context reached (context.addr)
-- @column kind: its context.kind
-- @column canceled: its context.canceled
-- @column seed_addr: the canceled context the walk started from: for a
--   delegating context, the node whose Err() it returns
-- @column origin_addr: where the seed's cancellation started (_ctx_canceled)
-- @column user_addr: the first user-defined context on the way down from
--   the seed, NULL if none: the effective state below it is unknown
-- @column path: the contexts from the seed down to addr, "ADDR KIND > ..."
-- @column depth: parent steps from the seed (0 = the seed itself)
CREATE VIEW _ctx_below_canceled AS
SELECT incident_id, addr, kind, canceled, seed_addr, origin_addr, user_addr, path, depth
  FROM context_below_canceled;
