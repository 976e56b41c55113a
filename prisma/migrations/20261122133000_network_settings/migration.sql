-- User-defined networks: an IP range inside the subnet, internal networks, and
-- the name of the bridge hosts create for a local-scope network.
ALTER TABLE "Network" ADD COLUMN "ipRange" TEXT NOT NULL DEFAULT '';
ALTER TABLE "Network" ADD COLUMN "internal" BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE "Network" ADD COLUMN "bridge" TEXT NOT NULL DEFAULT '';
