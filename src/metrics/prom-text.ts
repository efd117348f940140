/** Prometheus text format helpers shared by the metric renderers. */

/** A label value as the text format wants it: backslash, double quote and newline escaped. */
export function esc(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** `{a="x",b="y"}` for the given names and values ('' when there are none). */
export function labelText(names: readonly string[], values: readonly string[]): string {
  if (names.length === 0) return '';
  return `{${names.map((n, i) => `${n}="${esc(values[i])}"`).join(',')}}`;
}

export function family(out: string[], name: string, type: string, help: string): void {
  out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
}
