/** ContainersController: /api/containers (one-line handlers). */
import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { ContainersService } from './containers.service.js';
import { CreateContainerDto, RenameContainerDto } from './container.dto.js';
import { RefPipe } from '../common/ref.pipe.js';
import { boolQuery, logView } from '../common/query.js';

@ApiTags('containers')
@ApiBearerAuth()
@Controller('containers')
export class ContainersController {
  constructor(private readonly svc: ContainersService) {}

  @Post() create(@Body() dto: CreateContainerDto) {
    return this.svc.create(dto);
  }
  @Get() list(@Query('all') all?: string) {
    return this.svc.list(boolQuery(all, 'all'));
  }
  @Get(':id') get(@Param('id', RefPipe) id: string) {
    return this.svc.get(id);
  }
  @Get(':id/wait') wait(@Param('id', RefPipe) id: string, @Req() req: Request) {
    return this.svc.wait(id, req);
  }
  @Post(':id/stop') @HttpCode(200) stop(@Param('id', RefPipe) id: string) {
    return this.svc.stop(id);
  }
  @Post(':id/rename') @HttpCode(200) rename(@Param('id', RefPipe) id: string, @Body() dto: RenameContainerDto) {
    return this.svc.rename(id, dto.name);
  }
  @Delete(':id') @HttpCode(204) remove(@Param('id', RefPipe) id: string, @Query('force') force?: string, @Query('volumes') volumes?: string) {
    return this.svc.remove(id, boolQuery(force, 'force'), boolQuery(volumes, 'volumes'));
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
