import { fork } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSeeds } from '../../seeds/index.js';
import { FAULT_KINDS } from '../../simulator/index.js';
import { type SeedMetrics, scoreRun } from './metrics.js';
import { renderSummary, spliceReport } from './report.js';
import { runEvaluation } from './runner.js';
import { summarize } from './summary.js';

/**
 * `npm run eval`: runs a labelled simulated fleet per seed (every fault type, healthy machines
 * too, accelerated offline — no MQTT), feeds it to the analysis engine and scores the warnings.
 * Seeds run in parallel worker processes; progress goes to stdout. `--write` puts the tables
 * into docs/evaluation.md.
 *
 *   npm run eval -- [--tuning 1,2,3,4] [--holdout 101,102,103,104] [--days 7] [--rate 0.8]
 *                   [--jobs 2] [--write] [--quick] [--no-controller-alarms]
 *                   [--dump <dir>] [--reuse <dir>]   (write each seed's scores / reuse them)
 */
interface Options {
  tuning: number[];
  holdout: number[];
  days: number;
  rate: number;
  jobs: number;
  write: boolean;
  noAlarmCodes: boolean;
  /** directory to write each seed's scores to (JSON) */
  dump: string | undefined;
  /** directory of scores dumped by an earlier run of the same code: those seeds are not run again */
  reuse: string | undefined;
}

const root = join(fileURLToPath(import.meta.url), '../../../..');
const seedsDir = join(root, 'seeds');

function parse(argv: string[]): Options {
  const get = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const list = (v: string | undefined, d: number[]) =>
    v === undefined ? d : v === 'none' || v === '' ? [] : v.split(',').map(Number);
  const quick = argv.includes('--quick');
  return {
    tuning: list(get('tuning'), quick ? [1] : [1, 2, 3, 4]),
    holdout: list(get('holdout'), quick ? [101] : [101, 102, 103, 104]),
    days: Number(get('days') ?? (quick ? 3 : 7)),
    rate: Number(get('rate') ?? 0.8),
    jobs: Number(get('jobs') ?? 2),
    write: argv.includes('--write'),
    noAlarmCodes: argv.includes('--no-controller-alarms'),
    dump: get('dump'),
    reuse: get('reuse'),
  };
}

/** Worker: one seed, reports progress and its scores to the parent. */
function worker(seed: number, o: Options): void {
  const seeds = loadSeeds(seedsDir);
  const rules = o.noAlarmCodes ? seeds.rules.filter((r) => r.kind !== 'alarm-code') : undefined;
  const run = runEvaluation({
    seeds,
    seed,
    days: o.days,
    perMachinePerDay: o.rate,
    healthyShare: 0.5,
    ...(rules ? { engine: { rules } } : {}),
    ...(o.noAlarmCodes ? { withholdAlarms: true } : {}),
    onProgress: (virtualMs, fraction) =>
      process.send?.({ progress: { seed, day: virtualMs / 86_400_000, fraction } }),
  });
  const metrics = scoreRun(run, (t) => seeds.lookup.fault.get(t)?.category ?? 'fault');
  process.send?.({ done: metrics }, undefined, undefined, () => process.disconnect?.());
}

function runSeed(seed: number, argv: string[], onProgress: (text: string) => void): Promise<SeedMetrics> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), ['--worker', String(seed), ...argv]);
    child.on(
      'message',
      (m: { progress?: { seed: number; day: number; fraction: number }; done?: SeedMetrics }) => {
        if (m.progress)
          onProgress(
            `seed ${m.progress.seed}: day ${m.progress.day.toFixed(2)} (${(100 * m.progress.fraction).toFixed(0)} %)`,
          );
        if (m.done) resolve(m.done);
      },
    );
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? undefined : reject(new Error(`seed ${seed}: worker exit ${code}`)),
    );
  });
}

async function pool(seeds: number[], o: Options, argv: string[]): Promise<SeedMetrics[]> {
  const out: SeedMetrics[] = [];
  const queue = [...seeds];
  const started = Date.now();
  const say = (t: string) =>
    process.stdout.write(`  [${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${t}\n`);
  const lanes = Array.from({ length: Math.max(1, o.jobs) }, async () => {
    for (let s = queue.shift(); s !== undefined; s = queue.shift()) {
      const reused = o.reuse ? join(o.reuse, `seed-${s}.json`) : null;
      if (reused && existsSync(reused)) {
        const m = JSON.parse(readFileSync(reused, 'utf8')) as SeedMetrics;
        if (m.seed === s && m.days === o.days) {
          say(`seed ${s}: scores reused from ${reused}`);
          out.push(m);
          continue;
        }
      }
      say(`seed ${s}: started`);
      const m = await runSeed(s, argv, say);
      say(`seed ${s}: done, ${m.labels.length} faults, ${m.activations.length} warnings`);
      if (o.dump) {
        mkdirSync(o.dump, { recursive: true });
        writeFileSync(join(o.dump, `seed-${s}.json`), JSON.stringify(m));
      }
      out.push(m);
    }
  });
  await Promise.all(lanes);
  return out.sort((a, b) => a.seed - b.seed);
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const o = parse(argv);
  const wi = argv.indexOf('--worker');
  if (wi >= 0) return worker(Number(argv[wi + 1]), o);
  const passOn = argv.filter((a) => a !== '--write');
  process.stdout.write(
    `SawBrain warning evaluation: ${o.days} days, fault rate ${o.rate}/machine/day, ${o.jobs} workers\n`,
  );
  const sets: [string, number[]][] = [
    ['Tuning seeds (used while developing the rules)', o.tuning],
    ['Held-out seeds (never looked at while tuning)', o.holdout],
  ];
  const parts: string[] = [];
  for (const [title, seeds] of sets) {
    if (seeds.length === 0) continue;
    process.stdout.write(`\n${title}: ${seeds.join(', ')}\n`);
    const metrics = await pool(seeds, o, passOn);
    const text = renderSummary(title, summarize(metrics, FAULT_KINDS));
    process.stdout.write(`\n${text}\n`);
    parts.push(text);
  }
  // directories are scratch paths of the machine that ran it: named, not written out
  const dirFlags = ['--dump', '--reuse'];
  const shown = argv.filter((a, i) => !dirFlags.includes(a) && !dirFlags.includes(argv[i - 1] ?? ''));
  const notes = [
    o.dump ? '`--dump` to a scratch directory' : '',
    o.reuse ? 'seeds found in the `--reuse` directory scored by an earlier run of the same code' : '',
  ].filter(Boolean);
  const header = `Generated by \`npm run eval -- ${shown.join(' ')}\`${notes.length ? ` (${notes.join('; ')})` : ''} on ${new Date().toISOString().slice(0, 10)}${o.noAlarmCodes ? ' (controllers that report no alarms: no alarm messages, no alarm states)' : ''}.\n`;
  if (o.write) {
    const path = join(root, 'docs/evaluation.md');
    const doc = existsSync(path) ? readFileSync(path, 'utf8') : '# Evaluation of the fault warnings\n';
    writeFileSync(path, spliceReport(doc, `${header}\n${parts.join('\n\n')}`));
    process.stdout.write(`\nwrote ${path}\n`);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`eval: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
