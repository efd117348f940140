import { CALLER_LABELS, Histogram, LABELS, LITELLM_BUCKETS, type Label, type Series } from './call-series';
import { family, labelText } from './prom-text';

/** Writes families of the call series in Prometheus text; a family sums the series over the labels it does not have. */
export class FamilyWriter {
  constructor(
    private readonly out: string[],
    private readonly series: ReadonlyMap<string, Series>,
    private readonly showCallers: boolean,
  ) {}

  /** The names shown and their positions in storage. */
  private pick(names: readonly Label[]): { names: Label[]; idx: number[] } {
    const shown = names.filter((n) => this.showCallers || LABELS.indexOf(n) >= CALLER_LABELS);
    return { names: shown, idx: shown.map((n) => LABELS.indexOf(n)) };
  }

  /** Series summed over the labels a family does not have. */
  private grouped<T>(
    idx: readonly number[],
    make: () => T,
    add: (acc: T, s: Series) => void,
  ): Map<string, { values: string[]; acc: T }> {
    const groups = new Map<string, { values: string[]; acc: T }>();
    for (const s of this.series.values()) {
      const values = idx.map((i) => s.labels[i]);
      const k = values.join('\u0001');
      let g = groups.get(k);
      if (!g) groups.set(k, (g = { values, acc: make() }));
      add(g.acc, s);
    }
    return groups;
  }

  counter(name: string, help: string, names: readonly Label[], value: (s: Series) => number): void {
    const { names: shown, idx } = this.pick(names);
    family(this.out, name, 'counter', help);
    const groups = this.grouped(
      idx,
      () => ({ v: 0 }),
      (acc, s) => (acc.v += value(s)),
    );
    for (const g of groups.values()) this.out.push(`${name}${labelText(shown, g.values)} ${g.acc.v}`);
  }

  keyed(
    name: string,
    help: string,
    names: readonly Label[],
    extra: readonly string[],
    map: (s: Series) => Map<string, number>,
  ): void {
    const { names: shown, idx } = this.pick(names);
    family(this.out, name, 'counter', help);
    const groups = this.grouped(
      idx,
      () => new Map<string, number>(),
      (acc, s) => {
        for (const [k, v] of map(s)) acc.set(k, (acc.get(k) ?? 0) + v);
      },
    );
    for (const g of groups.values())
      for (const [k, v] of g.acc)
        this.out.push(`${name}${labelText([...shown, ...extra], [...g.values, ...k.split('\u0001')])} ${v}`);
  }

  histogram(name: string, help: string, names: readonly Label[], pick: (s: Series) => Histogram): void {
    const { names: shown, idx } = this.pick(names);
    family(this.out, name, 'histogram', help);
    const groups = this.grouped(
      idx,
      () => new Histogram(),
      (acc, s) => acc.add(pick(s)),
    );
    for (const g of groups.values()) {
      if (g.acc.n === 0) continue;
      let cumulative = 0;
      for (let b = 0; b <= LITELLM_BUCKETS.length; b++) {
        cumulative += g.acc.counts[b];
        const le = b < LITELLM_BUCKETS.length ? String(LITELLM_BUCKETS[b]) : '+Inf';
        this.out.push(`${name}_bucket${labelText([...shown, 'le'], [...g.values, le])} ${cumulative}`);
      }
      this.out.push(
        `${name}_sum${labelText(shown, g.values)} ${g.acc.sum}`,
        `${name}_count${labelText(shown, g.values)} ${g.acc.n}`,
      );
    }
  }
}
