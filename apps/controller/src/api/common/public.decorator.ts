/** @Public() marks a route that needs no bearer token (the OpenAPI document). */
import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'berth:public';
export const Public = () => SetMetadata(IS_PUBLIC, true);
