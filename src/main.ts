import './runtime-flags'; // first: V8 flags must be set before any WebAssembly is compiled
import { loadGatewayConfig } from './config/config.loader';
import { ConfigError } from './config/config.error';
import { runGateway } from './server';

async function main(): Promise<void> {
  let config;
  try {
    // The one place the process environment and arguments are read.
    config = loadGatewayConfig({ argv: process.argv.slice(2), env: process.env, cwd: process.cwd() });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  await runGateway(config);
}

main().catch((err: unknown) => {
  process.stderr.write(`gateway failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
