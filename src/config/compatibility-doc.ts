import { CREDENTIAL_PARAMS } from './litellm-sections/credential-params';
import { LITELLM_SETTINGS } from './litellm-settings';

/**
 * docs/compatibility.md, written from the settings table (`npm run docs:compat`); a test fails when the file in the
 * repository differs, so the page cannot drift from what the gateway does.
 */
export function renderCompatibilityDoc(): string {
  const out: string[] = [
    '# LiteLLM compatibility',
    '',
    '<!-- Generated from src/config/litellm-settings.ts by `npm run docs:compat`; do not edit by hand. -->',
    '',
    'Every setting LiteLLM documents for its proxy config, and what the gateway does with it.',
    '',
    '- **implemented**: the gateway acts on it, as described.',
    '- **ignored**: accepted; one warning at start names it.',
    '- A key that is no LiteLLM setting at all stops the start under `general_settings` and',
    '  `general_settings.litellm_jwtauth` (a misspelt security setting must not pass silently), and gives a warning',
    '  elsewhere; both name the closest known setting ("did you mean"). Every problem of a file is reported at once.',
    '- YAML is read as LiteLLM reads it (YAML 1.1: `20_000` is a number, `yes`/`on`/`True` are booleans).',
    `- Credential forms (\`${CREDENTIAL_PARAMS.join('`, `')}\`): a deployment naming only forms its provider cannot`,
    '  use is refused at start with a warning (listed in `/model/info` as unavailable; calls answer 400).',
    '',
  ];
  for (const s of Object.values(LITELLM_SETTINGS)) {
    out.push(`## \`${s.path}\``, '');
    if (s.strict) out.push('Unknown keys here stop the start.', '');
    out.push('| setting | status | what the gateway does |', '| --- | --- | --- |');
    for (const [name, what] of Object.entries(s.implemented)) out.push(`| \`${name}\` | implemented | ${what} |`);
    for (const name of [...new Set(s.ignored)].sort()) {
      const partly = s.partlyDone?.[name];
      out.push(`| \`${name}\` | ignored | ${partly ? partly.does : 'warning at start'} |`);
    }
    if (s.path === 'environment_variables')
      out.push(
        '| any other name | accepted | available to `os.environ/NAME` references; the process environment wins |',
      );
    out.push('');
  }
  return out.join('\n');
}
