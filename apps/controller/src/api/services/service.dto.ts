/** Request DTOs of the services API. */
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsIn, IsInt, IsObject, IsString, Matches, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import { Optional } from '../common/validation.js';
import { NetworkAttachmentDto } from '../networks/network.dto.js';

export const ENV_RE = /^[^=\s][^=]*=[\s\S]*$/;

/** ContainerSpecDto: what to run, shared by services and one-off containers. */
export class ContainerSpecDto {
  @IsString()
  @MaxLength(255)
  @Matches(/^\S+$/, { message: 'image must be an image reference without spaces' })
  image!: string;

  @Optional()
  @IsArray()
  @ArrayMaxSize(256)
  @IsString({ each: true })
  @MaxLength(4096, { each: true })
  command?: string[];

  @Optional()
  @IsArray()
  @ArrayMaxSize(256)
  @Matches(ENV_RE, { each: true, message: 'env entries must look like KEY=VALUE' })
  env?: string[];

  @Optional()
  @IsString()
  @Matches(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/, { message: 'network must be a network name (berth network ls)' })
  network?: string;

  /** The networks to join, in order (the first has the default route); instead of `network`. */
  @Optional()
  @IsArray()
  @ArrayMaxSize(8, { message: 'networks: at most 8' })
  @ValidateNested({ each: true })
  @Type(() => NetworkAttachmentDto)
  networks?: NetworkAttachmentDto[];

  @Optional()
  @IsArray()
  @ArrayMaxSize(64)
  @IsString({ each: true })
  @Matches(/^(\d{1,5}:)?\d{1,5}(\/[a-z]+)?$/, { each: true, message: 'publish entries must look like [HOSTPORT:]CONTAINERPORT[/tcp|udp]' })
  publish?: string[];

  /** Volumes, binds and tmpfs mounts: [{ type, source, target, readonly, ... }] (checked by libs/common mounts.ts). */
  @Optional()
  @IsArray()
  @ArrayMaxSize(64)
  @IsObject({ each: true, message: 'mounts entries must be objects ({ type, source, target, ... })' })
  mounts?: Array<Record<string, unknown>>;
}

export class CreateServiceDto extends ContainerSpecDto {
  @IsString()
  @Matches(/^[a-zA-Z0-9][a-zA-Z0-9_-]{0,62}$/, { message: 'name must start with a letter or digit and have at most 63 letters, digits, _ or -' })
  name!: string;

  @IsInt({ message: 'replicas must be an integer from 0 to 10000' })
  @Min(0, { message: 'replicas must be an integer from 0 to 10000' })
  @Max(10000, { message: 'replicas must be an integer from 0 to 10000' })
  replicas!: number;

  /** vip (default): the service's name gives one virtual IP balanced over its tasks; dnsrr: the tasks' own addresses. */
  @Optional()
  @IsIn(['vip', 'dnsrr'], { message: 'endpointMode must be vip or dnsrr' })
  endpointMode?: string;
}

export class ScaleServiceDto {
  @IsInt({ message: 'replicas must be an integer from 0 to 10000' })
  @Min(0, { message: 'replicas must be an integer from 0 to 10000' })
  @Max(10000, { message: 'replicas must be an integer from 0 to 10000' })
  replicas!: number;
}
