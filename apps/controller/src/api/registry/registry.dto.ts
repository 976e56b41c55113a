/** Request DTOs of the registry access API. */
import { ArrayMaxSize, IsArray, IsIn, IsString, Matches, MaxLength, MinLength } from 'class-validator';

export const USER_NAME_RE = /^[a-z0-9][a-z0-9_.-]{0,62}$/;
const USER_NAME_MSG = 'name must be 1 to 63 lower-case letters, digits, _, . or -, starting with a letter or digit';

export class PasswordDto {
  @IsString()
  @MinLength(8, { message: 'password must be at least 8 characters' })
  @MaxLength(256)
  password!: string;
}

export class CreateUserDto extends PasswordDto {
  @IsString()
  @Matches(USER_NAME_RE, { message: USER_NAME_MSG })
  name!: string;
}

export class VisibilityDto {
  @IsIn(['public', 'private'], { message: 'visibility must be public or private' })
  visibility!: 'public' | 'private';
}

export class GrantDto {
  @IsArray()
  @ArrayMaxSize(3)
  @IsIn(['pull', 'push', 'delete'], { each: true, message: 'actions must be a list of pull, push, delete' })
  actions!: string[];
}

export class CredentialDto {
  @IsString()
  @Matches(/^[\w.-]+(:\d{1,5})?$/, { message: 'registry must be HOST or HOST:PORT' })
  registry!: string;

  @IsString()
  @MinLength(1)
  @MaxLength(256)
  username!: string;

  @IsString()
  @MinLength(1)
  @MaxLength(4096)
  password!: string;
}
