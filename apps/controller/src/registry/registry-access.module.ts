/**
 * registry/: access to the cluster's registry — users, grants, public
 * repositories, the token signing key and tokens, sealed credentials for
 * other registries, and the controller's own registry calls. The registry
 * process itself only verifies tokens (libs/regauth).
 */
import { Module } from '@nestjs/common';
import { RegistryAuthService } from './registry-auth.service.js';
import { CredentialsService } from './credentials.service.js';
import { RegistryClient } from './registry-client.js';

const PROVIDERS = [RegistryAuthService, CredentialsService, RegistryClient];

@Module({ providers: PROVIDERS, exports: PROVIDERS })
export class RegistryAccessModule {}

export { RegistryAuthService, CredentialsService, RegistryClient };
export { BadCredentialsError, REPO_ACTIONS, type Caller } from './registry-auth.service.js';
export { RegistryUnavailableError } from './registry-client.js';
export { hashPassword } from './passwords.js';
export { SecretKeyError } from './secret-box.js';
