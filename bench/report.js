'use strict';
// Turns raw benchmark rows into medians over rounds, prints the table and the gateway/baseline ratios.
const median = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

function summarize(rows, soak) {
  if (soak) {
    const range = (samples) => {
      const s = samples.filter(Number.isFinite);
      const warm = s.slice(Math.floor(s.length / 5)); // first fifth is warm-up
      return [Math.min(...warm), Math.max(...warm)];
    };
    return rows.map((r) => {
      const [lo, hi] = range(r.rssSamplesMiB);
      const row = {
        target: r.target,
        seconds: r.seconds,
        rps: r.rps,
        non2xx: r.non2xx,
        errors: r.errors,
        rssMinMiB: lo,
        rssMaxMiB: hi,
        rssSpread: hi / lo - 1,
      };
      if (!r.storeRssSamplesMiB) return row;
      const [slo, shi] = range(r.storeRssSamplesMiB);
      return { ...row, storeRssMinMiB: slo, storeRssMaxMiB: shi, storeRssSpread: shi / slo - 1 };
    });
  }
  const groups = new Map();
  for (const r of rows) {
    const k = `${r.target}|${r.connections}|${r.stream}`;
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k).push(r);
  }
  const out = [];
  for (const [k, rs] of groups) {
    const [target, connections, stream] = k.split('|');
    const row = { target, connections: Number(connections), stream: stream === 'true' };
    for (const f of [
      'rps',
      'p50ms',
      'p99ms',
      'cpuUsPerReq',
      'peakRssMiB',
      'storePeakRssMiB',
      'withStorePeakRssMiB',
      'p50us',
      'p99us',
    ])
      if (rs.some((r) => r[f] !== undefined)) row[f] = median(rs.map((r) => r[f]));
    // This target's RPS over the baseline's in the same round (slices seconds apart), median over rounds: the
    // machine's speed drifts between rounds, so a ratio of per-round pairs is steadier than a ratio of medians.
    const base = (r) =>
      rows.find(
        (b) =>
          b.target === 'baseline' && b.round === r.round && b.connections === r.connections && b.stream === r.stream,
      );
    if (target !== 'baseline' && rs.every((r) => r.rps !== undefined && base(r)))
      row.rpsRatio = median(rs.map((r) => r.rps / base(r).rps));
    row.non2xx = rs.reduce((a, r) => a + (r.non2xx || 0) + (r.bad || 0), 0);
    row.errors = rs.reduce((a, r) => a + (r.errors || 0), 0);
    out.push(row);
  }
  return out;
}

const fmt = (v, d = 0) => (Number.isFinite(v) ? v.toFixed(d) : '-');

function printTable(summary, soak) {
  if (soak) {
    console.log('\ntarget            seconds     rps  non2xx  rss min..max MiB  spread');
    for (const r of summary) {
      const store =
        r.storeRssMinMiB === undefined
          ? ''
          : `  (store process ${fmt(r.storeRssMinMiB, 1)}..${fmt(r.storeRssMaxMiB, 1)}, ${fmt(r.storeRssSpread * 100, 1)} %)`;
      console.log(
        `${r.target.padEnd(16)} ${String(r.seconds).padStart(8)} ${fmt(r.rps).padStart(7)} ${String(r.non2xx).padStart(7)}  ${fmt(r.rssMinMiB, 1)}..${fmt(r.rssMaxMiB, 1)}  ${fmt(r.rssSpread * 100, 1)} %${store}`,
      );
    }
    return;
  }
  console.log(
    '\ntarget           conns stream      rps   p50ms   p99ms  cpu us/req  peak RSS MiB  + store MiB  non2xx/err',
  );
  for (const r of summary.filter((r) => r.connections > 1)) {
    console.log(
      `${r.target.padEnd(16)} ${String(r.connections).padStart(5)} ${String(r.stream).padStart(6)} ${fmt(r.rps).padStart(8)} ${fmt(r.p50ms, 1).padStart(7)} ${fmt(r.p99ms, 1).padStart(7)} ${fmt(r.cpuUsPerReq).padStart(11)} ${fmt(r.peakRssMiB, 1).padStart(13)} ${fmt(r.storePeakRssMiB, 1).padStart(12)}  ${r.non2xx}/${r.errors}`,
    );
  }
  console.log(
    '(cpu us/req of an embedded gateway includes its store process; "+ store": that process\'s own peak RSS)',
  );
  console.log('\nlight load (1 connection, sequential):');
  const base1 = summary.find((r) => r.target === 'baseline' && r.connections === 1);
  for (const r of summary.filter((r) => r.connections === 1)) {
    const over = base1 && r !== base1 ? `  (+${fmt(r.p50us - base1.p50us)} us over baseline)` : '';
    console.log(`  ${r.target.padEnd(16)} p50 ${fmt(r.p50us)} us  p99 ${fmt(r.p99us)} us${over}`);
  }
  const ratio = (target, conns, stream) =>
    summary.find((r) => r.target === target && r.connections === conns && r.stream === stream)?.rpsRatio ?? NaN;
  const rssRatio = (prefix, field = 'peakRssMiB') => {
    const g = Math.max(
      ...summary.filter((r) => r.target.startsWith(prefix) && r.connections === 128).map((r) => r[field]),
    );
    const b = Math.max(
      ...summary.filter((r) => r.target === 'baseline' && r.connections === 128).map((r) => r.peakRssMiB),
    );
    return g / b;
  };
  const onPg = summary.some((r) => r.target.startsWith('gateway-pg/'))
    ? `; on PostgreSQL: ${fmt(rssRatio('gateway-pg/'), 2)}`
    : '';
  const together = fmt(rssRatio('gateway/', 'withStorePeakRssMiB'), 2);
  console.log(
    `\npeak RSS at 128 connections, gateway / baseline: embedded store ${fmt(rssRatio('gateway/'), 2)} (with its store process, RSS summed: ${together})${onPg}`,
  );
  const parts = ['master', 'vkey', 'jwt', 'team-key'].map(
    (k) => `${k} ${fmt(ratio(`gateway/${k}`, 32, false), 2)} / ${fmt(ratio(`gateway/${k}`, 32, true), 2)}`,
  );
  if (summary.some((r) => r.target === 'gateway-pg/vkey'))
    parts.push(
      `vkey on PostgreSQL ${fmt(ratio('gateway-pg/vkey', 32, false), 2)} / ${fmt(ratio('gateway-pg/vkey', 32, true), 2)}`,
    );
  console.log(
    `gateway RPS / baseline RPS at 32 connections, median of per-round ratios (non-stream / stream): ${parts.join(', ')}`,
  );
}

module.exports = { summarize, printTable, median };
