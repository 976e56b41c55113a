-- Published ports of services and tasks: "HOSTPORT:CONTAINERPORT/PROTO".
ALTER TABLE "Service" ADD COLUMN "ports" TEXT[] DEFAULT ARRAY[]::TEXT[];
ALTER TABLE "Task" ADD COLUMN "ports" TEXT[] DEFAULT ARRAY[]::TEXT[];
