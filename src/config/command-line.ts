import { ConfigError } from './config.error';
import type { Env } from './config.util';

/** What the command line asks for. Values are as given; the loader checks them (port number, log level). */
export interface CommandLine {
  readonly config?: string;
  readonly port?: string;
  readonly host?: string;
  /** `--debug` (debug) or `--detailed_debug` (trace): LiteLLM's two debug switches. */
  readonly logLevel?: 'debug' | 'trace';
  readonly help: boolean;
  readonly version: boolean;
  /** Options accepted for LiteLLM compatibility that change nothing here: logged at start. */
  readonly warnings: readonly string[];
}

interface OptionSpec {
  readonly name: string;
  readonly alias?: string;
  readonly value?: string;
  readonly help: string;
}

/** Every option the gateway takes, in the order `--help` lists them. */
const OPTIONS: readonly OptionSpec[] = [
  {
    name: 'config',
    alias: '-c',
    value: 'FILE',
    help: 'config file (LiteLLM format); default: CONFIG_FILE_PATH, else ./config.yaml',
  },
  { name: 'port', value: 'N', help: 'port to listen on; default: PORT, else 4000 (0: any free port)' },
  { name: 'host', value: 'ADDR', help: 'address to listen on; default: HOST, else 0.0.0.0' },
  { name: 'debug', help: 'log at debug level (as LOG_LEVEL=debug)' },
  { name: 'detailed_debug', help: 'log at trace level, the most detailed (as LOG_LEVEL=trace)' },
  { name: 'num_workers', value: 'N', help: 'accepted for LiteLLM compatibility: the gateway runs as one process' },
  { name: 'help', alias: '-h', help: 'print this help and exit' },
  { name: 'version', alias: '-v', help: 'print the version and exit' },
];

const KNOWN = OPTIONS.map((o) => `--${o.name}`).join(', ');

/** The `--help` text. */
export function usage(version: string): string {
  const rows = OPTIONS.map((o) => {
    const left = `${o.alias ? `${o.alias}, ` : '    '}--${o.name}${o.value ? ` ${o.value}` : ''}`;
    return `  ${left.padEnd(26)} ${o.help}`;
  });
  return [
    `llm-gateway ${version}: an OpenAI-compatible gateway that reads LiteLLM proxy configs`,
    '',
    'Usage: node dist/main.js [options]        (through npm: npm start -- [options])',
    '',
    'Options:',
    ...rows,
    '',
    'Environment: DATABASE_URL (PostgreSQL; unset: embedded store in DATA_DIR), LITELLM_MASTER_KEY, PORT, HOST,',
    'LOG_LEVEL (trace, debug, info, warn, error), LOG_FORMAT (pretty or json; default: pretty on a terminal),',
    'JWT_PUBLIC_KEY_URL, REDIS_URL. More in docs/ and docs/troubleshooting.md.',
    '',
  ].join('\n');
}

/**
 * Reads the gateway's options. Refuses what it does not know (a typo must not start a gateway that silently
 * ignores it), and explains the usual npm slip: `npm start --config x.yaml` gives `--config` to npm, which sets
 * `npm_config_config` and passes `x.yaml` on alone.
 */
export function parseCommandLine(argv: readonly string[], env: Env = {}): CommandLine {
  const values: Record<string, string> = {};
  const flags = new Set<string>();
  const warnings: string[] = [];
  const given = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('-') || arg === '-' || arg === '--') {
      throw (
        npmSlip(arg, env, given) ??
        new ConfigError('command line', '', `unexpected argument "${arg}" (options: ${KNOWN})`)
      );
    }
    const eq = arg.indexOf('=');
    const written = eq > 0 ? arg.slice(0, eq) : arg;
    const spec = OPTIONS.find(
      (o) => `--${o.name}` === written || o.alias === written || `--${o.name.replace(/_/g, '-')}` === written,
    );
    if (!spec) {
      const near = closest(written.replace(/^-+/, ''));
      const hint = near ? `did you mean --${near}? ` : '';
      throw new ConfigError(written, '', `unknown option (${hint}options: ${KNOWN}; see --help)`);
    }
    given.add(spec.name);
    if (!spec.value) {
      if (eq > 0) throw new ConfigError(`--${spec.name}`, '', 'takes no value');
      flags.add(spec.name);
      continue;
    }
    const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined || (eq < 0 && value.startsWith('--')))
      throw new ConfigError(`--${spec.name}`, '', 'needs a value');
    values[spec.name] = value;
  }
  const slip = npmSlip(undefined, env, given);
  if (slip) throw slip;
  if (values.num_workers !== undefined && values.num_workers !== '1')
    warnings.push(
      `--num_workers ${values.num_workers}: not implemented, the gateway runs as one process (run several instances behind a load balancer instead)`,
    );
  return {
    config: values.config,
    port: values.port,
    host: values.host,
    logLevel: flags.has('detailed_debug') ? 'trace' : flags.has('debug') ? 'debug' : undefined,
    help: flags.has('help'),
    version: flags.has('version'),
    warnings,
  };
}

/**
 * An option npm took for itself: `npm start --config x.yaml` sets `npm_config_config` in the script's environment
 * (and passes `x.yaml` as a bare argument). Only the gateway's own option names are checked: npm sets many
 * `npm_config_*` variables of its own.
 */
function npmSlip(bare: string | undefined, env: Env, given: ReadonlySet<string>): ConfigError | undefined {
  const taken = OPTIONS.filter((o) => !given.has(o.name) && env[`npm_config_${o.name}`] !== undefined);
  if (taken.length === 0) return undefined;
  const names = taken.map((o) => `--${o.name}`);
  const example = taken.map(
    (o) => `--${o.name}${o.value ? ` ${o.name === taken[0].name && bare ? bare : o.value}` : ''}`,
  );
  return new ConfigError(
    'command line',
    '',
    `npm took ${names.join(' and ')} for itself${bare ? ` and passed "${bare}" on alone` : ''}: put -- before the gateway's options, as in: npm start -- ${example.join(' ')}`,
  );
}

/** The option name within two edits of `name` (a typo), if one is. */
function closest(name: string): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const o of OPTIONS) {
    const d = distance(name.replace(/-/g, '_'), o.name);
    if (d < bestDistance) [best, bestDistance] = [o.name, d];
  }
  return best;
}

/** Levenshtein distance (short strings only: option names). */
function distance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++)
      next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length];
}
