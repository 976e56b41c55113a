-- The time of each replica's previous liveness flush. A flush writes the nodes heard before it
-- started, but stamps the time it ran: one held up (a frozen database) stamps a late time over an
-- old batch. Everything heard before the previous flush ran is written by the time the next one
-- runs (one flush at a time), so a node's silence is measured against this stamp.
ALTER TABLE "ControllerReplica" ADD COLUMN "prevFlushAt" TIMESTAMP(3);
UPDATE "ControllerReplica" SET "prevFlushAt" = "lastFlushAt";
ALTER TABLE "ControllerReplica" ALTER COLUMN "prevFlushAt" SET NOT NULL;
