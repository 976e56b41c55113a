/** NetworksController: /api/networks (one-line handlers). */
import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { NetworksService } from './networks.service.js';
import { AttachmentsService } from './attachments.service.js';
import { ConnectDto, CreateNetworkDto } from './network.dto.js';

@ApiTags('networks')
@ApiBearerAuth()
@Controller('networks')
export class NetworksController {
  constructor(
    private readonly svc: NetworksService,
    private readonly attachments: AttachmentsService,
  ) {}

  @Get() list() {
    return this.svc.list();
  }
  @Post() create(@Body() dto: CreateNetworkDto) {
    return this.svc.create(dto);
  }
  @Post('prune') @HttpCode(200) prune() {
    return this.svc.prune();
  }
  @Get(':ref') get(@Param('ref') ref: string) {
    return this.svc.get(ref);
  }
  @Delete(':ref') @HttpCode(204) remove(@Param('ref') ref: string) {
    return this.svc.remove(ref);
  }
  @Post(':ref/connect') @HttpCode(200) connect(@Param('ref') ref: string, @Body() dto: ConnectDto) {
    return this.attachments.connect(ref, dto);
  }
  @Post(':ref/disconnect') @HttpCode(200) disconnect(@Param('ref') ref: string, @Body() dto: ConnectDto) {
    return this.attachments.disconnect(ref, dto);
  }
}
