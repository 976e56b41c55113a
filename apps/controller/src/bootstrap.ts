/**
 * createControllerApp builds the controller: migrations first, then the Nest
 * app with its own body parsers (size, depth and text limits), the global
 * path/query text check and validation pipes, the /api prefix, the OpenAPI
 * document at /api/openapi.json and the gRPC dispatcher. main.ts and the
 * integration tests both use it.
 */
import 'reflect-metadata';
import { type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { AppModule } from './app.module.js';
import { BerthConfig } from './config/berth-config.js';
import { useConfig } from './config/config.module.js';
import { validationPipe } from './api/common/validation.js';
import { RequestTextPipe } from './api/common/param.pipe.js';
import { useBodyParsing } from './api/common/body-parsing.js';
import { describeDtos } from './api/common/openapi-schemas.js';
import { connectDispatcher } from './dispatcher/connect.js';
import { migrate } from '../../../prisma/migrate.js';

export async function createControllerApp(config = new BerthConfig()): Promise<INestApplication> {
  useConfig(config);
  await migrate(config.databaseUrl);
  const app = await NestFactory.create(AppModule, { logger: ['log', 'warn', 'error'], bodyParser: false });
  useBodyParsing(app);
  app.setGlobalPrefix('api');
  app.useGlobalPipes(new RequestTextPipe(), validationPipe());
  app.enableShutdownHooks();
  const doc = SwaggerModule.createDocument(app, new DocumentBuilder().setTitle('Berth API').setVersion('v1').addBearerAuth().build());
  describeDtos(doc);
  app.getHttpAdapter().get('/api/openapi.json', (_req: unknown, res: { json(b: unknown): void }) => res.json(doc));
  await app.init();
  await connectDispatcher(app);
  return app;
}
