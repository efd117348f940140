import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigService } from '@nestjs/config';
import { Test } from '@nestjs/testing';
import { GatewayConfigModule, type GatewayConfigService } from '../../src/config/config.module';
import { GATEWAY_CONFIG, type GatewayConfig } from '../../src/config/gateway-config';

describe('GatewayConfigModule', () => {
  it('ConfigService hands out the validated GatewayConfig, the same object GATEWAY_CONFIG injects', async () => {
    const config = Object.freeze({ warnings: [] }) as unknown as GatewayConfig;
    const app = await Test.createTestingModule({ imports: [GatewayConfigModule.forRoot(config)] }).compile();
    try {
      const service = app.get<GatewayConfigService>(ConfigService);
      assert.equal(service.get<GatewayConfig>('gateway'), config);
      assert.equal(app.get(GATEWAY_CONFIG), config);
    } finally {
      await app.close();
    }
  });
});
