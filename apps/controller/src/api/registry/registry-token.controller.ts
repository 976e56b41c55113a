/**
 * RegistryTokenController: Docker's token endpoint for the cluster registry
 * (GET with optional Basic credentials, and the OAuth2 password grant by
 * POST that newer clients try first) and the JWKS the registry verifies
 * tokens with. Both are public: the credentials are the registry's own.
 */
import { BadRequestException, Body, Controller, Get, HttpCode, Post, Req } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { Public } from '../common/public.decorator.js';
import { BerthConfig } from '../../config/berth-config.js';
import { RegistryAuthService } from '../../registry/registry-access.module.js';
import { parseScopes, type Access } from '#libs/regauth';
import { basicCredentials, parsePasswordGrant, scopeList, type Credentials } from './token-request.js';

@ApiTags('registry')
@Controller('registry')
export class RegistryTokenController {
  constructor(
    private readonly auth: RegistryAuthService,
    private readonly config: BerthConfig,
  ) {}

  private checkService(service: unknown): void {
    if (service !== undefined && service !== this.config.registryService) {
      // eslint-disable-next-line @typescript-eslint/no-base-to-string -- the query value is echoed whatever its shape
      throw new BadRequestException(`service must be "${this.config.registryService}", got "${String(service).slice(0, 64)}"`);
    }
  }

  private async grant(creds: Credentials | undefined, scopes: string[]): Promise<{ access: Access[]; token: Awaited<ReturnType<RegistryAuthService['issue']>> }> {
    const caller = await this.auth.identify(creds);
    const access = await this.auth.authorize(caller, parseScopes(scopes));
    return { access, token: await this.auth.issue(caller.name || 'anonymous', access) };
  }

  @Public()
  @Get('token')
  async token(@Req() req: Request) {
    this.checkService(req.query.service);
    const { token } = await this.grant(basicCredentials(req.headers.authorization), scopeList(req.query.scope));
    return { token: token.token, access_token: token.token, expires_in: token.expiresIn, issued_at: token.issuedAt };
  }

  @Public()
  @Post('token')
  @HttpCode(200)
  async oauthToken(@Body() body: unknown) {
    const grant = parsePasswordGrant(body);
    this.checkService(grant.service);
    const { access, token } = await this.grant(grant, grant.scopes);
    return { access_token: token.token, expires_in: token.expiresIn, issued_at: token.issuedAt, scope: access.map((a) => `${a.type}:${a.name}:${a.actions.join(',')}`).join(' ') };
  }

  @Public()
  @Get('jwks')
  jwks() {
    return this.auth.jwks();
  }
}
