import type { ConfigProblem } from './config.error';
import { CREDENTIAL_PARAMS } from './litellm-sections/credential-params';
import { closestSetting, LITELLM_SETTINGS, type SectionName } from './litellm-settings';
import { formatPath, isMapping, type Mapping } from './config.util';

/** What the key check found beside warnings and problems. */
export interface KeyCheck {
  /** Per model_list index: the credential params the deployment names (before unimplemented ones are removed). */
  readonly credentials: Map<number, string[]>;
  /** Key paths a problem already covers (a misspelt section is not also reported as missing). */
  readonly covered: Set<string>;
}

const CREDENTIALS: ReadonlySet<string> = new Set(CREDENTIAL_PARAMS);
/** Sections whose misspelling drops a whole block of security settings: a misspelt name stops the start. */
const GUARDED = new Set(['general_settings', 'litellm_jwtauth', 'litellm_params', 'model_name']);

/**
 * Checks every key of the raw file against LiteLLM's settings table, removing those the gateway does not act on:
 * a LiteLLM setting it does not implement gives one warning naming it (none for a value asking only for what the
 * gateway does anyway, see `partlyDone`); a key that is no LiteLLM setting at all is a problem in the strict
 * sections (and where it looks like a misspelt required or security block), a warning elsewhere, each with the
 * closest known name.
 */
export function checkKnownKeys(raw: Mapping, file: string, warnings: string[], problems: ConfigProblem[]): KeyCheck {
  const out: KeyCheck = { credentials: new Map(), covered: new Set() };
  const visit = (section: SectionName, node: unknown, at: (string | number)[]) => {
    if (!isMapping(node)) return;
    const s = LITELLM_SETTINGS[section];
    for (const key of Object.keys(node)) {
      if (key in s.implemented) continue;
      const path = formatPath([...at, key]);
      if (section === 'litellm_params' && CREDENTIALS.has(key)) {
        // Unimplemented credential forms are judged with the deployment's provider (config.deployments.ts).
        delete node[key];
        continue;
      }
      if (s.ignored.includes(key)) {
        const rest = s.partlyDone?.[key] ? s.partlyDone[key].rest(node[key]) : '';
        if (rest !== undefined)
          warnings.push(
            `${file}: ${path}: LiteLLM setting not implemented by the gateway${rest && ` (${rest})`}; ignored`,
          );
        delete node[key];
        continue;
      }
      const near = closestSetting(section, key);
      const hint = near ? ` (did you mean ${near}?)` : '';
      if (s.strict || (near !== undefined && GUARDED.has(near) && !(near in node))) {
        problems.push({ source: file, keyPath: path, problem: `unknown key: not a LiteLLM setting${hint}` });
        if (near) out.covered.add(formatPath([...at, near]));
      } else {
        warnings.push(`${file}: ${path}: not a LiteLLM setting; ignored${hint}`);
      }
      delete node[key];
    }
  };
  visit('top', raw, []);
  const gs = raw.general_settings;
  if (isMapping(gs)) visit('litellm_jwtauth', gs.litellm_jwtauth, ['general_settings', 'litellm_jwtauth']);
  visit('general_settings', gs, ['general_settings']);
  const ls = raw.litellm_settings;
  if (isMapping(ls)) visit('cache_params', ls.cache_params, ['litellm_settings', 'cache_params']);
  visit('litellm_settings', ls, ['litellm_settings']);
  visit('router_settings', raw.router_settings, ['router_settings']);
  if (Array.isArray(raw.model_list)) {
    raw.model_list.forEach((entry: unknown, i) => {
      if (!isMapping(entry)) return;
      const params = entry.litellm_params;
      if (isMapping(params))
        out.credentials.set(
          i,
          Object.keys(params).filter((k) => CREDENTIALS.has(k)),
        );
      visit('litellm_params', params, ['model_list', i, 'litellm_params']);
      visit('model_info', entry.model_info, ['model_list', i, 'model_info']);
      visit('model', entry, ['model_list', i]);
    });
  }
  return out;
}
