/** VolumesController: /api/volumes (one-line handlers). */
import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { IsObject, IsString, MaxLength } from 'class-validator';
import { Optional } from '../common/validation.js';
import { VolumesService } from './volumes.service.js';
import { boolQuery } from '../common/query.js';

export class CreateVolumeDto {
  @Optional()
  @IsString()
  @MaxLength(128)
  name?: string;

  @Optional()
  @IsString()
  @MaxLength(64)
  driver?: string;

  @Optional()
  @IsObject({ message: 'options must be an object of name: value' })
  options?: Record<string, string>;

  @Optional()
  @IsObject({ message: 'labels must be an object of name: value' })
  labels?: Record<string, string>;
}

@ApiTags('volumes')
@ApiBearerAuth()
@Controller('volumes')
export class VolumesController {
  constructor(private readonly svc: VolumesService) {}

  @Get() list() {
    return this.svc.list();
  }
  @Post() create(@Body() dto: CreateVolumeDto) {
    return this.svc.create(dto);
  }
  @Post('prune') @HttpCode(200) prune(@Query('all') all?: string) {
    return this.svc.prune(boolQuery(all, 'all'));
  }
  @Get(':name') get(@Param('name') name: string) {
    return this.svc.get(name);
  }
  @Delete(':name') @HttpCode(204) remove(@Param('name') name: string, @Query('force') force?: string) {
    return this.svc.remove(name, boolQuery(force, 'force'));
  }
}
