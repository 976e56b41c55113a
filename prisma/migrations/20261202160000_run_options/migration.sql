-- How a container runs beyond its image, command and env (docker run's -u, -w, --entrypoint,
-- --cap-add, --memory, ...: libs/common run-options.ts), kept with the container and its task.
ALTER TABLE "Container" ADD COLUMN "options" JSONB NOT NULL DEFAULT '{}';
ALTER TABLE "Task" ADD COLUMN "options" JSONB NOT NULL DEFAULT '{}';
