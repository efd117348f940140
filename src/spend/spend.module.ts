import { Global, Module } from '@nestjs/common';
import { CALL_RECORDER } from '../proxy/call-record';
import { ProxyModule } from '../proxy/proxy.module';
import { GlobalSpendController } from './global-spend.controller';
import { GlobalSpendService } from './global-spend.service';
import { SpendController } from './spend.controller';
import { SpendCalculateController } from './spend-calculate.controller';
import { SpendLogStore } from './spend-log-store';
import { SpendLogWriter } from './spend-log-writer.service';
import { SpendReadService } from './spend-read.service';
import { SpendRecorder } from './spend-recorder.service';
import { SpendRetention } from './spend-retention.service';

/**
 * Spend logs: a row per model call written in batches off the request path (CALL_RECORDER, global so the proxy
 * can hand calls over), retention, `/spend/calculate`, the spend reads (`/spend/logs`, `/spend/tags`, `/global/spend/*`, `/global/activity`), and LiteLLM's call metrics.
 */
@Global()
@Module({
  imports: [ProxyModule],
  controllers: [SpendController, SpendCalculateController, GlobalSpendController],
  providers: [
    SpendLogStore,
    SpendLogWriter,
    SpendRecorder,
    SpendRetention,
    SpendReadService,
    GlobalSpendService,
    { provide: CALL_RECORDER, useExisting: SpendRecorder },
  ],
  exports: [CALL_RECORDER],
})
export class SpendModule {}
