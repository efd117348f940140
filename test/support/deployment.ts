import type { Pool } from 'undici';
import type { DeploymentConfig } from '../../src/config/gateway-config';
import { openAIProvider } from '../../src/proxy/providers/openai/openai.provider';
import { Deployment } from '../../src/proxy/router/deployment';

type RouterSettings = ConstructorParameters<typeof Deployment>[6];

/** An openai/ deployment of group `g` for router tests: picking never touches the network, so `pool` is never called. */
export function testDeployment(
  pool: Pool,
  id: string,
  extra: Partial<DeploymentConfig> = {},
  router: RouterSettings = { allowedFails: 3, cooldownMs: 5_000 },
): Deployment {
  const config: DeploymentConfig = {
    id,
    modelName: 'g',
    provider: 'openai',
    upstreamModel: id,
    apiBase: 'http://127.0.0.1:9',
    inputCostPerToken: 0,
    outputCostPerToken: 0,
    ...extra,
  };
  const endpoint = openAIProvider.endpoint(config, { azureAuthorityHost: 'https://login.microsoftonline.com' });
  return new Deployment(config, openAIProvider, endpoint, pool, 1000, 1000, router);
}
