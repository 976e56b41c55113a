/** AuthGuard: every API request needs `Authorization: Bearer <token>` naming a stored API token. */
import { CanActivate, ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { TokenStore } from '../../store/store.module.js';
import { IS_PUBLIC } from './public.decorator.js';

@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly tokens: TokenStore,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    if (ctx.getType() !== 'http') return true;
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [ctx.getHandler(), ctx.getClass()])) return true;
    const header: string = ctx.switchToHttp().getRequest<Request>().headers?.authorization ?? '';
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    if (!m) throw new UnauthorizedException('missing bearer token (Authorization: Bearer <token>)');
    if (!(await this.tokens.apiTokenValid(m[1]))) throw new UnauthorizedException('invalid bearer token');
    return true;
  }
}
