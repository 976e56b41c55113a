/** ServicesController: /api/services (one-line handlers). */
import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { ServicesService } from './services.service.js';
import { CreateServiceDto, ScaleServiceDto } from './service.dto.js';
import { RefPipe } from '../common/ref.pipe.js';
import { boolQuery, logView } from '../common/query.js';

@ApiTags('services')
@ApiBearerAuth()
@Controller('services')
export class ServicesController {
  constructor(private readonly svc: ServicesService) {}

  @Post() create(@Body() dto: CreateServiceDto) {
    return this.svc.create(dto);
  }
  @Get() list() {
    return this.svc.list();
  }
  @Get(':id') get(@Param('id', RefPipe) id: string) {
    return this.svc.get(id);
  }
  @Patch(':id') scale(@Param('id', RefPipe) id: string, @Body() dto: ScaleServiceDto) {
    return this.svc.scale(id, dto);
  }
  @Delete(':id') @HttpCode(204) remove(@Param('id', RefPipe) id: string) {
    return this.svc.remove(id);
  }
  @Get(':id/tasks') tasks(@Param('id', RefPipe) id: string, @Query('all') all?: string) {
    return this.svc.tasksOf(id, boolQuery(all, 'all'));
  }
  @Get(':id/logs') logs(
    @Param('id', RefPipe) id: string,
    @Req() req: Request,
    @Res() res: Response,
    @Query('follow') follow?: string,
    @Query('tail') tail?: string,
    @Query('since') since?: string,
    @Query('timestamps') timestamps?: string,
  ) {
    return this.svc.streamLogs(id, logView({ follow, tail, since, timestamps }), req, res);
  }
}
