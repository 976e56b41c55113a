/** Request DTOs of the networks API. */
import { IsBoolean, IsIn, IsObject, IsOptional, IsString, Matches, MaxLength } from 'class-validator';

export const NETWORK_NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/;

export class CreateNetworkDto {
  @IsString() @Matches(NETWORK_NAME_RE, { message: 'name must start with a letter or digit and have at most 63 letters, digits, _, . or -' })
  name!: string;

  @IsOptional() @IsIn(['bridge', 'overlay', 'macvlan'], { message: 'driver must be bridge, overlay or macvlan' })
  driver?: string;

  @IsOptional() @IsString() @MaxLength(18)
  subnet?: string;

  @IsOptional() @IsString() @MaxLength(15)
  gateway?: string;

  @IsOptional() @IsString() @MaxLength(18)
  ipRange?: string;

  @IsOptional() @IsBoolean()
  internal?: boolean;

  /** Driver options: macvlan takes parent (the host interface) and mode. */
  @IsOptional() @IsObject({ message: 'options must be an object of name: value' })
  options?: Record<string, string>;
}
