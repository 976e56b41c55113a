/** Request DTO of POST /api/builds. */
import { IsBoolean, IsIn, IsObject, IsString, Matches, MaxLength } from 'class-validator';
import { BUILTIN_NETWORKS } from '#libs/common';
import { Optional } from '../common/validation.js';

export class BuildDto {
  @IsString()
  @Matches(/^sha256:[a-f0-9]{64}$/, { message: 'context must be the sha256 digest of the context tar pushed to the registry (repository berth/build-context)' })
  context!: string;

  @IsString()
  @MaxLength(255)
  @Matches(/^\S+$/, { message: 'tag must be an image reference without spaces' })
  tag!: string;

  @Optional()
  @IsString()
  @MaxLength(1024)
  @Matches(/^[^\0]+$/, { message: 'dockerfile must be a path inside the context' })
  dockerfile?: string;

  @Optional()
  @IsObject({ message: 'buildArgs must be an object of NAME: value' })
  buildArgs?: Record<string, string>;

  @Optional()
  @IsString()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, { message: 'target must be a stage name' })
  target?: string;

  @Optional()
  @IsBoolean()
  noCache?: boolean;

  /** The network of the RUN steps, as docker build --network (default bridge). */
  @Optional()
  @IsIn(BUILTIN_NETWORKS, { message: 'network must be bridge, host or none' })
  network?: string;
}
