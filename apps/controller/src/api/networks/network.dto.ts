/** Request DTOs of the networks API. */
import { ArrayMaxSize, IsArray, IsBoolean, IsIn, IsObject, IsString, Matches, MaxLength } from 'class-validator';
import { Optional } from '../common/validation.js';
import { ALIAS, USER_DRIVERS } from '#libs/common';

export const NETWORK_NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/;

export class CreateNetworkDto {
  @IsString()
  @Matches(NETWORK_NAME_RE, { message: 'name must start with a letter or digit and have at most 63 letters, digits, _, . or -' })
  name!: string;

  @Optional()
  @IsIn(USER_DRIVERS, { message: 'driver must be bridge, overlay or macvlan' })
  driver?: string;

  @Optional()
  @IsString()
  @MaxLength(18)
  subnet?: string;

  @Optional()
  @IsString()
  @MaxLength(15)
  gateway?: string;

  @Optional()
  @IsString()
  @MaxLength(18)
  ipRange?: string;

  @Optional()
  @IsBoolean()
  internal?: boolean;

  /** Overlay only: `berth run` containers may join it (services always may). */
  @Optional()
  @IsBoolean()
  attachable?: boolean;

  /** Driver options: macvlan takes parent (the host interface) and mode. */
  @Optional()
  @IsObject({ message: 'options must be an object of name: value' })
  options?: Record<string, string>;
}

const ALIAS_MESSAGE = 'aliases must be DNS names (letters, digits and -, dot-separated)';

/** NetworkAttachmentDto: one network of a container or service, with its aliases there. */
export class NetworkAttachmentDto {
  @IsString()
  @Matches(NETWORK_NAME_RE, { message: 'name must be a network name (berth network ls)' })
  name!: string;

  @Optional()
  @IsArray()
  @ArrayMaxSize(32)
  @Matches(ALIAS, { each: true, message: ALIAS_MESSAGE })
  aliases?: string[];
}

/** ConnectDto: POST /networks/:ref/connect and /disconnect. */
export class ConnectDto {
  @IsString()
  @MaxLength(128)
  container!: string;

  @Optional()
  @IsArray()
  @ArrayMaxSize(32)
  @Matches(ALIAS, { each: true, message: ALIAS_MESSAGE })
  aliases?: string[];
}
