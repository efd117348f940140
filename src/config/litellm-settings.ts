/**
 * Every setting LiteLLM documents for its proxy config, by section, and what the gateway does with it. The one
 * place that says so: the config loader warns about (or refuses) keys from it, and docs/compatibility.md is
 * generated from it (`npm run docs:compat`).
 *
 * `implemented`: the gateway acts on the setting (the text says how). `ignored`: accepted, with one warning at start
 * naming it, unless `partlyDone` says its value asks only for what the gateway does anyway. A key in neither is no
 * LiteLLM setting at all: fatal in the sections marked `strict` (a misspelt security setting must not pass silently),
 * a warning elsewhere; both with the closest known name. Each section's lists are in litellm-sections/, one file per
 * part of the config file.
 */
import { ENVIRONMENT_VARIABLES, TOP_LEVEL } from './litellm-sections/top-level';
import { GENERAL_SETTINGS } from './litellm-sections/general-settings';
import { LITELLM_JWTAUTH } from './litellm-sections/jwt-auth-settings';
import { CACHE_PARAMS } from './litellm-sections/cache-params';
import { LITELLM_SETTINGS_SECTION } from './litellm-sections/litellm-settings-section';
import { LITELLM_PARAMS, MODEL, MODEL_INFO } from './litellm-sections/model-list';
import { ROUTER_SETTINGS } from './litellm-sections/router-settings';
import type { SettingsSection } from './litellm-sections/section';

export type { SettingsSection } from './litellm-sections/section';

export type SectionName =
  | 'top'
  | 'general_settings'
  | 'litellm_jwtauth'
  | 'litellm_settings'
  | 'cache_params'
  | 'router_settings'
  | 'model'
  | 'litellm_params'
  | 'model_info'
  | 'environment_variables';

export const LITELLM_SETTINGS: Readonly<Record<SectionName, SettingsSection>> = {
  top: TOP_LEVEL,
  general_settings: GENERAL_SETTINGS,
  litellm_jwtauth: LITELLM_JWTAUTH,
  litellm_settings: LITELLM_SETTINGS_SECTION,
  cache_params: CACHE_PARAMS,
  router_settings: ROUTER_SETTINGS,
  model: MODEL,
  litellm_params: LITELLM_PARAMS,
  model_info: MODEL_INFO,
  environment_variables: ENVIRONMENT_VARIABLES,
};

/** The sections whose keys are all checked against the table (environment_variables takes any name). */
export const CHECKED_SECTIONS: readonly SectionName[] = [
  'top',
  'general_settings',
  'litellm_jwtauth',
  'litellm_settings',
  'cache_params',
  'router_settings',
  'model',
  'litellm_params',
  'model_info',
];

/** The known setting of `section` closest to `key` (for "did you mean"), or undefined when none is close. */
export function closestSetting(section: SectionName, key: string): string | undefined {
  const s = LITELLM_SETTINGS[section];
  const candidates = [...Object.keys(s.implemented), ...s.ignored];
  const k = key.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(k, c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  // Close enough to be a typo: a few edits, fewer for short names.
  return best !== undefined && bestDistance <= Math.max(1, Math.min(3, Math.floor(key.length / 4))) ? best : undefined;
}

/** Damerau-Levenshtein (optimal string alignment): a swapped pair of letters is one edit. */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => i || j));
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}
