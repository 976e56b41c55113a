-- Liveness per controller replica: each replica stamps its own row with every liveness flush,
-- and each node records the replica holding its session, so a node's silence counts only once
-- that replica has been seen running past it (a stalled replica does not make its nodes look dead).
CREATE TABLE "ControllerReplica" (
    "id" TEXT NOT NULL,
    "lastFlushAt" TIMESTAMP(3) NOT NULL,
    CONSTRAINT "ControllerReplica_pkey" PRIMARY KEY ("id")
);
ALTER TABLE "Node" ADD COLUMN "sessionReplica" TEXT NOT NULL DEFAULT '';
