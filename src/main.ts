import './runtime-flags'; // first: V8 flags must be set before any WebAssembly is compiled
import { projectRoot } from './common/project-root';
import { parseCommandLine, usage, type CommandLine } from './config/command-line';
import { ConfigError } from './config/config.error';
import { loadProcessConfig } from './config/process-config';

function version(): string {
  try {
    return projectRoot().version;
  } catch {
    return 'unknown';
  }
}

/** --help / --version, answered before any config is read; a refused command line is left to the loader to report. */
function helpOrVersion(argv: readonly string[]): CommandLine | undefined {
  try {
    return parseCommandLine(argv);
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  let config;
  try {
    const argv = process.argv.slice(2);
    const cli = helpOrVersion(argv);
    if (cli && (cli.help || cli.version)) {
      process.stdout.write(cli.help ? usage(version()) : `llm-gateway ${version()}\n`);
      return;
    }
    config = loadProcessConfig(argv);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  // Loaded only now: --help, --version and a refused command line answer without loading Nest and the rest.
  const { runGateway } = await import('./server');
  await runGateway(config);
}

main().catch((err: unknown) => {
  process.stderr.write(`gateway failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
