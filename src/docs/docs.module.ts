import { Module } from '@nestjs/common';
import { UiController } from '../ui/ui.controller';
import { DocsController } from './docs.controller';

/** The API's description (/openapi.json, /docs), the admin UI (/ui) and the way in (/). */
@Module({ controllers: [DocsController, UiController] })
export class DocsModule {}
