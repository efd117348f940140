import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { UiApiController } from './ui-api.controller';
import { UiController } from './ui.controller';
import { UiOidcService } from './ui-oidc.service';

/** The admin UI: its files (/ui), how to sign in (/ui/config.json) and who is signed in (/ui/session). */
@Module({ imports: [AuthModule], controllers: [UiController, UiApiController], providers: [UiOidcService] })
export class UiModule {}
