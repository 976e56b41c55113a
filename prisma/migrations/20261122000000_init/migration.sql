-- Initial schema: nodes, services, one-off containers, tasks and their
-- events, networks, join and API tokens, the cluster CA.

CREATE TYPE "NodeStatus" AS ENUM ('unknown', 'ready', 'down');
CREATE TYPE "NodeAvailability" AS ENUM ('active', 'pause', 'drain');

CREATE TABLE "Node" (
    "id" TEXT NOT NULL,
    "hostname" TEXT NOT NULL,
    "addr" TEXT NOT NULL DEFAULT '',
    "cpus" INTEGER NOT NULL DEFAULT 0,
    "memoryBytes" BIGINT NOT NULL DEFAULT 0,
    "labels" JSONB NOT NULL DEFAULT '{}',
    "agentVersion" TEXT NOT NULL DEFAULT '',
    "status" "NodeStatus" NOT NULL DEFAULT 'unknown',
    "statusMessage" TEXT NOT NULL DEFAULT '',
    "availability" "NodeAvailability" NOT NULL DEFAULT 'active',
    "certSerial" TEXT NOT NULL DEFAULT '',
    "lastHeartbeatAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    CONSTRAINT "Node_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "Service" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "image" TEXT NOT NULL,
    "command" TEXT[],
    "env" TEXT[],
    "network" TEXT NOT NULL DEFAULT 'bridge',
    "replicas" INTEGER NOT NULL,
    "version" INTEGER NOT NULL DEFAULT 1,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    CONSTRAINT "Service_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "Container" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "image" TEXT NOT NULL,
    "command" TEXT[],
    "env" TEXT[],
    "network" TEXT NOT NULL DEFAULT 'bridge',
    "autoRemove" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "Container_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "Task" (
    "id" TEXT NOT NULL,
    "serviceId" TEXT,
    "containerId" TEXT,
    "slot" INTEGER NOT NULL DEFAULT 0,
    "nodeId" TEXT,
    "image" TEXT NOT NULL,
    "command" TEXT[],
    "env" TEXT[],
    "network" TEXT NOT NULL DEFAULT 'bridge',
    "desiredState" INTEGER NOT NULL,
    "state" INTEGER NOT NULL,
    "message" TEXT NOT NULL DEFAULT '',
    "error" TEXT NOT NULL DEFAULT '',
    "exitCode" INTEGER,
    "address" TEXT NOT NULL DEFAULT '',
    "version" INTEGER NOT NULL DEFAULT 1,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "statusAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "Task_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "TaskEvent" (
    "id" BIGSERIAL NOT NULL,
    "taskId" TEXT NOT NULL,
    "state" INTEGER NOT NULL,
    "message" TEXT NOT NULL DEFAULT '',
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "TaskEvent_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "Network" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "driver" TEXT NOT NULL,
    "subnet" TEXT NOT NULL DEFAULT '',
    "gateway" TEXT NOT NULL DEFAULT '',
    "builtin" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "Network_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "JoinToken" (
    "id" TEXT NOT NULL,
    "role" TEXT NOT NULL DEFAULT 'worker',
    "secretHash" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "revokedAt" TIMESTAMP(3),
    CONSTRAINT "JoinToken_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "ApiToken" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "tokenHash" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "ApiToken_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "ClusterCA" (
    "id" INTEGER NOT NULL DEFAULT 1,
    "certPem" TEXT NOT NULL,
    "keyPem" TEXT NOT NULL,
    "digest" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "ClusterCA_pkey" PRIMARY KEY ("id")
);

CREATE UNIQUE INDEX "Service_name_key" ON "Service"("name");
CREATE UNIQUE INDEX "Container_name_key" ON "Container"("name");
CREATE UNIQUE INDEX "Task_containerId_key" ON "Task"("containerId");
CREATE INDEX "Task_nodeId_idx" ON "Task"("nodeId");
CREATE INDEX "Task_serviceId_slot_idx" ON "Task"("serviceId", "slot");
CREATE INDEX "Task_state_idx" ON "Task"("state");
CREATE INDEX "TaskEvent_taskId_at_idx" ON "TaskEvent"("taskId", "at");
CREATE UNIQUE INDEX "Network_name_key" ON "Network"("name");
CREATE UNIQUE INDEX "JoinToken_secretHash_key" ON "JoinToken"("secretHash");
CREATE UNIQUE INDEX "ApiToken_name_key" ON "ApiToken"("name");
CREATE UNIQUE INDEX "ApiToken_tokenHash_key" ON "ApiToken"("tokenHash");

ALTER TABLE "Task" ADD CONSTRAINT "Task_serviceId_fkey" FOREIGN KEY ("serviceId") REFERENCES "Service"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "Task" ADD CONSTRAINT "Task_containerId_fkey" FOREIGN KEY ("containerId") REFERENCES "Container"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "Task" ADD CONSTRAINT "Task_nodeId_fkey" FOREIGN KEY ("nodeId") REFERENCES "Node"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "TaskEvent" ADD CONSTRAINT "TaskEvent_taskId_fkey" FOREIGN KEY ("taskId") REFERENCES "Task"("id") ON DELETE CASCADE ON UPDATE CASCADE;

INSERT INTO "Network" ("id", "name", "driver", "builtin") VALUES
    ('bridge', 'bridge', 'bridge', true),
    ('host', 'host', 'host', true),
    ('none', 'none', 'null', true);
