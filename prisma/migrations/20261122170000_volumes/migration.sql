-- Volumes, and the mounts of services, containers and tasks.
CREATE TABLE "Volume" (
  "name" TEXT NOT NULL,
  "driver" TEXT NOT NULL DEFAULT 'local',
  "options" JSONB NOT NULL DEFAULT '{}',
  "labels" JSONB NOT NULL DEFAULT '{}',
  "nodeId" TEXT,
  "anonymous" BOOLEAN NOT NULL DEFAULT false,
  "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  CONSTRAINT "Volume_pkey" PRIMARY KEY ("name")
);
ALTER TABLE "Service" ADD COLUMN "mounts" JSONB NOT NULL DEFAULT '[]';
ALTER TABLE "Container" ADD COLUMN "mounts" JSONB NOT NULL DEFAULT '[]';
ALTER TABLE "Task" ADD COLUMN "mounts" JSONB NOT NULL DEFAULT '[]';
ALTER TABLE "Task" ADD COLUMN "pinnedNode" TEXT;
