/**
 * RegistryController: /api/registry — users, repository visibility and
 * grants, credentials for other registries, garbage collection. Admin API
 * token required, like the rest of the API.
 */
import { BadRequestException, Body, Controller, Delete, Get, HttpCode, Injectable, Param, Post, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { RegistryStore } from '../../store/store.module.js';
import { CredentialsService, RegistryClient, hashPassword } from '../../registry/registry-access.module.js';
import { REPOSITORY_NAME } from '#libs/common';
import { CreateUserDto, CredentialDto, GrantDto, PasswordDto, USER_NAME_RE, VisibilityDto } from './registry.dto.js';

function repoName(raw: string): string {
  if (raw.length > 255 || !REPOSITORY_NAME.test(raw)) throw new BadRequestException(`invalid repository name "${raw}" (lower-case components joined by /)`);
  return raw;
}

function userName(raw: string): string {
  if (!USER_NAME_RE.test(raw)) throw new BadRequestException(`invalid user name "${raw}"`);
  return raw;
}

@Injectable()
export class RegistryAccessApi {
  constructor(private readonly store: RegistryStore) {}

  async users() {
    return (await this.store.listUsers()).map((u) => ({ name: u.name, createdAt: u.createdAt }));
  }

  async addUser(dto: CreateUserDto) {
    const u = await this.store.addUser(dto.name, await hashPassword(dto.password));
    return { name: u.name, createdAt: u.createdAt };
  }

  async setPassword(name: string, dto: PasswordDto) {
    await this.store.setPassword(userName(name), await hashPassword(dto.password));
  }

  removeUser(name: string) {
    return this.store.removeUser(userName(name));
  }

  async repos() {
    return (await this.store.listRepos()).map((r) => ({ name: r.name, visibility: r.public ? 'public' : 'private', grants: r.grants }));
  }

  async setVisibility(name: string, dto: VisibilityDto) {
    const r = await this.store.setVisibility(repoName(name), dto.visibility === 'public');
    return { name: r.name, visibility: r.public ? 'public' : 'private' };
  }

  grant(repo: string, user: string, actions: string[]) {
    return this.store.grant(repoName(repo), userName(user), [...new Set(actions)]);
  }
}

@ApiTags('registry')
@ApiBearerAuth()
@Controller('registry')
export class RegistryController {
  constructor(
    private readonly api: RegistryAccessApi,
    private readonly creds: CredentialsService,
    private readonly registry: RegistryClient,
  ) {}

  @Get('users') users() {
    return this.api.users();
  }
  @Post('users') addUser(@Body() dto: CreateUserDto) {
    return this.api.addUser(dto);
  }
  @Put('users/:name/password') @HttpCode(204) setPassword(@Param('name') name: string, @Body() dto: PasswordDto) {
    return this.api.setPassword(name, dto);
  }
  @Delete('users/:name') @HttpCode(204) removeUser(@Param('name') name: string) {
    return this.api.removeUser(name);
  }

  @Get('repositories') repos() {
    return this.api.repos();
  }
  @Put('repositories/:repo/visibility') setVisibility(@Param('repo') repo: string, @Body() dto: VisibilityDto) {
    return this.api.setVisibility(repo, dto);
  }
  @Put('repositories/:repo/grants/:user') @HttpCode(204) grant(@Param('repo') repo: string, @Param('user') user: string, @Body() dto: GrantDto) {
    return this.api.grant(repo, user, dto.actions);
  }
  @Delete('repositories/:repo/grants/:user') @HttpCode(204) revoke(@Param('repo') repo: string, @Param('user') user: string) {
    return this.api.grant(repo, user, []);
  }

  @Get('credentials') credentials() {
    return this.creds.list();
  }
  @Put('credentials') @HttpCode(204) putCredential(@Body() dto: CredentialDto) {
    return this.creds.put(dto.registry, dto.username, dto.password);
  }
  @Delete('credentials/:registry') @HttpCode(204) removeCredential(@Param('registry') registry: string) {
    return this.creds.remove(registry);
  }

  @Post('gc') @HttpCode(200) gc() {
    return this.registry.gc();
  }
}
