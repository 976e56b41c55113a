/** Request DTOs of the containers API. */
import { ArrayMaxSize, IsArray, IsBoolean, IsObject, IsString, Matches } from 'class-validator';
import { Optional } from '../common/validation.js';
import { ContainerSpecDto } from '../services/service.dto.js';

const CONTAINER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/;
const CONTAINER_NAME_RULE = 'name must start with a letter or digit and have at most 63 letters, digits, _, . or -';

export class CreateContainerDto extends ContainerSpecDto {
  @Optional()
  @IsString()
  @Matches(CONTAINER_NAME, { message: CONTAINER_NAME_RULE })
  name?: string;

  @Optional()
  @IsBoolean()
  autoRemove?: boolean;

  /** Mount every volume and bind of these containers (CONTAINER[:ro|:rw]); runs on their node. */
  @Optional()
  @IsArray()
  @ArrayMaxSize(16)
  @Matches(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}(:(ro|rw))?$/, { each: true, message: 'volumesFrom entries must look like CONTAINER[:ro|:rw]' })
  volumesFrom?: string[];

  /** How it runs beyond image, command and env: user, workdir, entrypoint, capabilities, limits... (checked by libs/common run-options.ts). */
  @Optional()
  @IsObject({ message: 'options must be an object ({ user, workdir, memory, ... })' })
  options?: Record<string, unknown>;
}

export class RenameContainerDto {
  @IsString()
  @Matches(CONTAINER_NAME, { message: CONTAINER_NAME_RULE })
  name!: string;
}
