-- Driver options of networks (macvlan's parent and mode), and the address the controller
-- allocates a task on a cluster-scoped network.
ALTER TABLE "Network" ADD COLUMN "options" JSONB NOT NULL DEFAULT '{}';
ALTER TABLE "Task" ADD COLUMN "ip" TEXT NOT NULL DEFAULT '';
