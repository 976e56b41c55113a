/**
 * ca/: the cluster CA, controller server certificates and join tokens. Owns
 * the ClusterCA row (through CaStore) and the JoinToken rows; talks to
 * nothing but the store. The dispatcher uses it to authenticate agents.
 */
import { Module } from '@nestjs/common';
import { CaService } from './ca.service.js';
import { JoinTokenService } from './join-token.service.js';

@Module({ providers: [CaService, JoinTokenService], exports: [CaService, JoinTokenService] })
export class CaModule {}

export { CaService } from './ca.service.js';
export { JoinTokenService } from './join-token.service.js';
