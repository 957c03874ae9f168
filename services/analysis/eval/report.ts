import type { Summary } from './summary.js';

export const TARGETS = { recall: 0.95, precision: 0.9, wearRemainingPct: 10, breakageS: 2 } as const;

const pct = (x: number) => (Number.isFinite(x) ? `${(100 * x).toFixed(0)} %` : '–');
const num = (x: number | null, d = 0) => (x === null || !Number.isFinite(x) ? '–' : x.toFixed(d));

/** One markdown table of a pooled set of seeds, with the targets checked. */
export function renderSummary(title: string, s: Summary): string {
  const lines: string[] = [];
  lines.push(`### ${title}`, '');
  lines.push(
    `Seeds ${s.seeds.join(', ')} · ${s.machines} machines × ${s.days} days each · ${s.messages.toLocaleString('en-US')} messages, ${s.samples.toLocaleString('en-US')} samples · rule failures ${s.failures} · invalid messages ${s.invalid}`,
    '',
  );
  lines.push(
    '| fault type | labels | detected | recall | warnings | true | precision | delay median / p90 (min) | from the event (max, s) | blade life left at first warning (min / median) | targets |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | --- | --- |',
  );
  for (const r of s.rows) {
    const ok: string[] = [];
    if (r.labels > 0) ok.push(r.recall >= TARGETS.recall ? 'recall ✓' : 'recall ✗');
    if (r.warnings > 0) ok.push(r.precision >= TARGETS.precision ? 'precision ✓' : 'precision ✗');
    if (r.fault === 'blade-breakage' && r.maxEventDelayS !== null)
      ok.push(r.maxEventDelayS <= TARGETS.breakageS ? '≤ 2 s ✓' : '≤ 2 s ✗');
    if (r.fault === 'blade-wear' && r.remainingOk !== null) ok.push(`≥ 10 % left in ${pct(r.remainingOk)}`);
    lines.push(
      `| ${r.fault} | ${r.labels} | ${r.detected} | ${pct(r.recall)} | ${r.warnings} | ${r.truePositive} | ${pct(r.precision)} | ${num(r.medianDelayMin)} / ${num(r.p90DelayMin)} | ${num(r.maxEventDelayS)} | ${r.fault === 'blade-wear' ? `${num(r.minRemainingPct, 1)} % / ${num(r.medianRemainingPct, 1)} %` : ''} | ${ok.join(', ')} |`,
    );
  }
  lines.push('');
  lines.push('Blade wear by the share of the blade already used when the fault began:', '');
  lines.push(
    '| life used at onset | labels | detected | detected with ≥ 10 % left | told to change the blade with ≥ 10 % left (blade-wear or blade-change notice) |',
    '| --- | ---: | ---: | ---: | ---: |',
  );
  for (const b of s.wearBuckets)
    lines.push(`| ${b.label} | ${b.labels} | ${b.detected} | ${b.remainingOk} | ${b.changeWarnedOk} |`);
  lines.push('');
  lines.push(
    `Healthy machines (no fault over the whole run): ${num(s.healthyMachineWeeks, 1)} machine-weeks, **${s.healthyWarnings} fault or data warnings**.`,
    '',
  );
  const n = s.notices;
  lines.push(
    `Blade-change notices (\`blade-life\`, severity info, not fault claims): ${n.count} (${n.onHealthy} on healthy machines); ${n.followedByWorn} followed by a worn-blade change; mean |estimated − true remaining life| ${num(n.meanAbsErrorPct, 1)} points.`,
    '',
  );
  if (s.falseWarnings.length > 0) {
    lines.push(
      'False warnings by type (`false`: no fault active on the machine; `misdiagnosed`: another fault was active):',
      '',
    );
    lines.push('| type | match | count |', '| --- | --- | ---: |');
    for (const f of s.falseWarnings) lines.push(`| ${f.type} | ${f.match} | ${f.count} |`);
    lines.push('');
  }
  return lines.join('\n');
}

const BEGIN = '<!-- eval:begin -->';
const END = '<!-- eval:end -->';

/** Replaces the generated part of docs/evaluation.md (between the markers), keeping the prose. */
export function spliceReport(doc: string, generated: string): string {
  const block = `${BEGIN}\n${generated}\n${END}`;
  const a = doc.indexOf(BEGIN);
  const b = doc.indexOf(END);
  if (a >= 0 && b > a) return doc.slice(0, a) + block + doc.slice(b + END.length);
  return `${doc.trimEnd()}\n\n${block}\n`;
}
