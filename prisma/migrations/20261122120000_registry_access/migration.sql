-- Registry access: users, repository settings, per-repository grants, the
-- token signing key, and encrypted credentials for other registries.
CREATE TABLE "RegistryUser" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "passwordHash" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "RegistryUser_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "RegistryUser_name_key" ON "RegistryUser"("name");

CREATE TABLE "RegistryRepo" (
    "name" TEXT NOT NULL,
    "public" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "RegistryRepo_pkey" PRIMARY KEY ("name")
);

CREATE TABLE "RegistryGrant" (
    "repoName" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "actions" TEXT[],
    CONSTRAINT "RegistryGrant_pkey" PRIMARY KEY ("repoName","userId")
);
ALTER TABLE "RegistryGrant" ADD CONSTRAINT "RegistryGrant_repoName_fkey" FOREIGN KEY ("repoName") REFERENCES "RegistryRepo"("name") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "RegistryGrant" ADD CONSTRAINT "RegistryGrant_userId_fkey" FOREIGN KEY ("userId") REFERENCES "RegistryUser"("id") ON DELETE CASCADE ON UPDATE CASCADE;

CREATE TABLE "RegistryKey" (
    "id" INTEGER NOT NULL DEFAULT 1,
    "kid" TEXT NOT NULL,
    "pkcs8" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "RegistryKey_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "RegistryCredential" (
    "registry" TEXT NOT NULL,
    "username" TEXT NOT NULL,
    "secret" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    CONSTRAINT "RegistryCredential_pkey" PRIMARY KEY ("registry")
);
