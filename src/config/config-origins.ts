import { ConfigError, type ConfigProblem } from './config.error';

/** The part of a list key that one file gave: its items from index `from` on. */
interface Segment {
  readonly from: number;
  readonly file: string;
}

/**
 * Which file each top-level key of a config merged from `include:` files came from, so that a warning or an error
 * names the file the user must edit, and an item of a list split over files by its index in that file. Messages
 * are written against the merged config (`<top file>: model_list[5]...`); `attribute` rewrites them.
 */
export class ConfigOrigins {
  private readonly files = new Map<string, string>();
  private readonly lists = new Map<string, Segment[]>();

  constructor(readonly top: string) {}

  /** `key` now holds `file`'s value (a list: all its items are that file's). */
  replaced(key: string, file: string, value: unknown): void {
    this.files.set(key, file);
    if (Array.isArray(value)) this.lists.set(key, [{ from: 0, file }]);
    else this.lists.delete(key);
  }

  /** `file`'s items were appended to the list `key`, which held `from` items. */
  appended(key: string, from: number, file: string): void {
    const segments = this.lists.get(key) ?? [{ from: 0, file: this.files.get(key) ?? this.top }];
    segments.push({ from, file });
    this.lists.set(key, segments);
  }

  /** The file and key path in that file of a merged config's key path (`model_list[5].litellm_params.x`). */
  placeOf(keyPath: string): { file: string; keyPath: string } {
    const m = /^([^.[\s]+)(?:\[(\d+)\])?/.exec(keyPath);
    if (!m) return { file: this.top, keyPath };
    const [head, key, index] = m;
    const segments = this.lists.get(key);
    if (segments && index !== undefined) {
      const i = Number(index);
      let s = segments[0];
      for (const next of segments) if (next.from <= i) s = next;
      return { file: s.file, keyPath: `${key}[${i - s.from}]${keyPath.slice(head.length)}` };
    }
    return { file: this.files.get(key) ?? this.top, keyPath };
  }

  /** A message `<top file>: <key path>...` naming the included file and its own key path instead, when it is one. */
  attribute(message: string): string {
    const prefix = `${this.top}: `;
    if (!message.startsWith(prefix)) return message;
    const rest = message.slice(prefix.length);
    const keyPath = /^[^\s:(]+/.exec(rest)?.[0];
    if (!keyPath) return message;
    const place = this.placeOf(keyPath);
    return place.file === this.top ? message : `${place.file}: ${place.keyPath}${rest.slice(keyPath.length)}`;
  }

  /** A ConfigError whose problems name the files they are in; any other error as it is. */
  attributeError(err: unknown): unknown {
    if (!(err instanceof ConfigError)) return err;
    const problems = err.problems.map((p): ConfigProblem => {
      if (p.source !== this.top || !p.keyPath) return p;
      const place = this.placeOf(p.keyPath);
      return { source: place.file, keyPath: place.keyPath, problem: p.problem };
    });
    const [first, ...more] = problems;
    return new ConfigError(first.source, first.keyPath, first.problem, more);
  }
}
