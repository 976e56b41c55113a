-- Volume plugins: each node's, and each volume's scope (local: on one node; global: any node).
ALTER TABLE "Volume" ADD COLUMN "scope" TEXT NOT NULL DEFAULT 'local';
ALTER TABLE "Node" ADD COLUMN "volumePlugins" JSONB NOT NULL DEFAULT '[]';
