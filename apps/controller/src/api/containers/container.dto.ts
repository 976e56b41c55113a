/** Request DTOs of the containers API. */
import { ArrayMaxSize, IsArray, IsBoolean, IsIn, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { ENV_RE, NETWORKS } from '../services/service.dto.js';

export class CreateContainerDto {
  @IsString() @MaxLength(255) @Matches(/^\S+$/, { message: 'image must be an image reference without spaces' })
  image!: string;

  @IsOptional() @IsString() @Matches(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/, { message: 'name must start with a letter or digit and have at most 63 letters, digits, _, . or -' })
  name?: string;

  @IsOptional() @IsArray() @ArrayMaxSize(256) @IsString({ each: true }) @MaxLength(4096, { each: true })
  command?: string[];

  @IsOptional() @IsArray() @ArrayMaxSize(256) @Matches(ENV_RE, { each: true, message: 'env entries must look like KEY=VALUE' })
  env?: string[];

  @IsOptional() @IsIn(NETWORKS, { message: `network must be one of ${NETWORKS.join(', ')}` })
  network?: string;

  @IsOptional() @IsBoolean()
  autoRemove?: boolean;
}
