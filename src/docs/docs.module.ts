import { Module } from '@nestjs/common';
import { DocsController } from './docs.controller';

/** The API's description (/openapi.json, /docs) and the way in (/). */
@Module({ controllers: [DocsController] })
export class DocsModule {}
