/**
 * RegistryTokenController: Docker's token endpoint for the cluster registry
 * (GET with optional Basic credentials, and the OAuth2 password grant by
 * POST that newer clients try first) and the JWKS the registry verifies
 * tokens with. Both are public: the credentials are the registry's own.
 */
import { BadRequestException, Body, Controller, Get, HttpCode, Post, Req, UnauthorizedException } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { Public } from '../common/public.decorator.js';
import { BerthConfig } from '../../config/berth-config.js';
import { RegistryAuthService } from '../../registry/registry-access.module.js';
import { parseScopes, type Access } from '../../../../../libs/regauth/src/index.js';

function basicOf(req: Request): { username: string; password: string } | undefined {
  const h = req.headers.authorization;
  if (!h) return undefined;
  const m = /^Basic\s+(\S+)$/i.exec(h);
  if (!m) throw new UnauthorizedException('the token endpoint takes Basic credentials or none');
  const raw = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = raw.indexOf(':');
  if (colon < 0) throw new UnauthorizedException('malformed Basic credentials');
  return { username: raw.slice(0, colon), password: raw.slice(colon + 1) };
}

function list(v: unknown): string[] {
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === 'string');
}

@ApiTags('registry')
@Controller('registry')
export class RegistryTokenController {
  constructor(private readonly auth: RegistryAuthService, private readonly config: BerthConfig) {}

  private checkService(service: unknown): void {
    if (service !== undefined && service !== this.config.registryService) {
      throw new BadRequestException(`service must be "${this.config.registryService}", got "${String(service)}"`);
    }
  }

  private async grant(creds: { username: string; password: string } | undefined, scopes: string[]): Promise<{ access: Access[]; token: Awaited<ReturnType<RegistryAuthService['issue']>> }> {
    const caller = await this.auth.identify(creds);
    const access = await this.auth.authorize(caller, parseScopes(scopes));
    return { access, token: await this.auth.issue(caller.name || 'anonymous', access) };
  }

  @Public() @Get('token')
  async token(@Req() req: Request) {
    this.checkService(req.query.service);
    const { token } = await this.grant(basicOf(req), list(req.query.scope));
    return { token: token.token, access_token: token.token, expires_in: token.expiresIn, issued_at: token.issuedAt };
  }

  @Public() @Post('token') @HttpCode(200)
  async oauthToken(@Body() body: Record<string, unknown>) {
    if (body.grant_type !== 'password') throw new BadRequestException('grant_type must be "password" (refresh tokens are not issued)');
    this.checkService(body.service);
    if (typeof body.username !== 'string' || typeof body.password !== 'string') throw new BadRequestException('username and password are required');
    const { access, token } = await this.grant({ username: body.username, password: body.password }, list(body.scope));
    return { access_token: token.token, expires_in: token.expiresIn, issued_at: token.issuedAt, scope: access.map((a) => `${a.type}:${a.name}:${a.actions.join(',')}`).join(' ') };
  }

  @Public() @Get('jwks')
  jwks() {
    return this.auth.jwks();
  }
}
