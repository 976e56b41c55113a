-- Several networks per service, container and task (with aliases), addresses per network,
-- service virtual IPs, and attachable overlay networks.
ALTER TABLE "Service" ADD COLUMN "networks" JSONB NOT NULL DEFAULT '[{"name":"bridge"}]';
UPDATE "Service" SET "networks" = jsonb_build_array(jsonb_build_object('name', "network"));
ALTER TABLE "Service" DROP COLUMN "network";
ALTER TABLE "Service" ADD COLUMN "endpointMode" TEXT NOT NULL DEFAULT 'vip';
ALTER TABLE "Service" ADD COLUMN "vip" TEXT;
CREATE UNIQUE INDEX "Service_vip_key" ON "Service"("vip");

ALTER TABLE "Container" ADD COLUMN "networks" JSONB NOT NULL DEFAULT '[{"name":"bridge"}]';
UPDATE "Container" SET "networks" = jsonb_build_array(jsonb_build_object('name', "network"));
ALTER TABLE "Container" DROP COLUMN "network";

ALTER TABLE "Task" ADD COLUMN "networks" JSONB NOT NULL DEFAULT '[{"name":"bridge"}]';
UPDATE "Task" SET "networks" = jsonb_build_array(CASE WHEN "ip" = '' THEN jsonb_build_object('name', "network") ELSE jsonb_build_object('name', "network", 'ip', "ip") END);
ALTER TABLE "Task" DROP COLUMN "network";
ALTER TABLE "Task" DROP COLUMN "ip";
ALTER TABLE "Task" ADD COLUMN "addresses" JSONB NOT NULL DEFAULT '{}';
CREATE INDEX "Task_networks_idx" ON "Task" USING GIN ("networks" jsonb_path_ops);

ALTER TABLE "Network" ADD COLUMN "attachable" BOOLEAN NOT NULL DEFAULT true;
