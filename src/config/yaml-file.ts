import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument, type Tags } from 'yaml';
import type { ConfigProblem } from './config.error';

/** Where a file was named, for a problem reading it (the config file itself, or an `include` entry). */
export interface NamedAt {
  readonly source: string;
  readonly keyPath: string;
}

/**
 * A YAML file read as LiteLLM (PyYAML) reads it, whose top level must be a mapping; undefined, with the problems
 * added, when it cannot be read, does not parse or is no mapping.
 */
export function readYamlMapping(
  path: string,
  problems: ConfigProblem[],
  at: NamedAt = { source: path, keyPath: '' },
): Record<string, unknown> | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    problems.push({ ...at, problem: at.keyPath ? `${path} cannot be read (${code})` : `cannot be read (${code})` });
    return undefined;
  }
  const lines = new LineCounter();
  // YAML 1.1 scalars, as LiteLLM (PyYAML) reads them: 20_000 is a number, yes/on/True are booleans.
  const doc = parseDocument(text, {
    prettyErrors: false,
    uniqueKeys: true,
    lineCounter: lines,
    version: '1.1',
    customTags: (tags) => pyYamlFloats(pyYamlBooleans(tags)),
  });
  if (doc.errors.length > 0) {
    for (const e of doc.errors) {
      const pos = lines.linePos(e.pos[0]);
      problems.push({
        source: path,
        keyPath: `line ${pos.line}, column ${pos.col}`,
        problem: `invalid YAML: ${e.message.split('\n')[0]}`,
      });
    }
    return undefined;
  }
  const raw: unknown = doc.toJS({ maxAliasCount: 1000 }) ?? {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    problems.push({ source: path, keyPath: '', problem: 'the top level must be a mapping' });
    return undefined;
  }
  return raw as Record<string, unknown>;
}

/**
 * YAML 1.1 floats with a digit before the exponent, as PyYAML has them: the yaml package also takes `e5`, `.e5`, `-.`
 * or `.` for floats (and makes them NaN, read as null), so `model_name: e5` named no model.
 */
const FLOAT_EXP = /^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9][0-9_]*)[eE][-+]?[0-9]+$/;
const FLOAT = /^[-+]?(?:[0-9][0-9_]*\.[0-9_]*|\.[0-9][0-9_]*)$/;
function pyYamlFloats(tags: Tags): Tags {
  return tags.map((t) => {
    if (typeof t !== 'object' || t.tag !== 'tag:yaml.org,2002:float' || !('test' in t) || !t.test) return t;
    if (t.format === 'EXP') return { ...t, test: FLOAT_EXP };
    if (t.test.test('.')) return { ...t, test: FLOAT };
    return t;
  });
}

const PY_TRUE = /^(?:[Yy]es|YES|[Tt]rue|TRUE|[Oo]n|ON)$/;
const PY_FALSE = /^(?:[Nn]o|NO|[Ff]alse|FALSE|[Oo]ff|OFF)$/;

/** YAML 1.1 booleans as PyYAML has them: without the single letters y/n (`id: y` stays a string there). */
function pyYamlBooleans(tags: Tags): Tags {
  return tags.map((t) => {
    if (typeof t !== 'object' || t.tag !== 'tag:yaml.org,2002:bool' || !('test' in t) || !t.test) return t;
    return { ...t, test: t.test.test('true') ? PY_TRUE : PY_FALSE };
  });
}
