/**
 * `npm run bench` — SawBrain's figures, each against a baseline measured in the same run:
 *   ceiling  batched line protocol straight to InfluxDB (and batches straight into SQLite)
 *   e2e      machines → broker → ingest → store, zero loss, as a ratio of the ceiling
 *   broker   SawBrain's broker vs Mosquitto with equivalent auth + ACL, QoS 0 and 1
 *   memory   RSS per 1,000 connected idle and active machines
 * Prints a table and writes JSON (default .bench/results.json). Not a test: nothing asserts.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Command } from 'commander';
import { type InfluxdHandle, startInfluxd } from '../test/helpers/influxd.js';
import { fmt, machineDescription, progress } from './lib/common.js';
import { runBroker } from './scenarios/broker.js';
import { runCeiling } from './scenarios/ceiling.js';
import { runE2e } from './scenarios/e2e.js';
import { runMemory } from './scenarios/memory.js';

const program = new Command('bench')
  .option('-s, --scenarios <list>', 'comma list: ceiling,e2e,broker,memory', 'ceiling,e2e,broker,memory')
  .option('-q, --quick', 'smaller and shorter runs', false)
  .option('--machines <n>', 'publishing machines for e2e and broker', '50')
  .option('--memory-machines <n>', 'machines for the memory scenario', '1000')
  .option('--duration <s>', 'seconds per load step', '8')
  .option('--sqlite', 'also run e2e on the embedded SQLite store', false)
  .option('-o, --out <file>', 'JSON results', '.bench/results.json')
  .parse();
const o = program.opts<{
  scenarios: string;
  quick: boolean;
  machines: string;
  memoryMachines: string;
  duration: string;
  sqlite: boolean;
  out: string;
}>();

const scenarios = new Set(o.scenarios.split(','));
const durationMs = Number(o.duration) * 1000 * (o.quick ? 0.5 : 1);
const t0 = Date.UTC(2030, 0, 1);
const results: Record<string, unknown> = {
  machine: machineDescription(),
  startedAt: new Date().toISOString(),
};
const lines: string[] = [];

let influxd: InfluxdHandle | null = null;
try {
  if (scenarios.has('ceiling') || scenarios.has('e2e')) {
    progress('setup', 'starting influxd (Debian InfluxDB 1.x) on a free loopback port');
    influxd = await startInfluxd();
  }
  let ceiling: Awaited<ReturnType<typeof runCeiling>> | undefined;
  if (scenarios.has('ceiling') || scenarios.has('e2e')) {
    ceiling = await runCeiling(influxd!.url, o.quick, t0);
    results.ceiling = ceiling;
    lines.push(
      `ceiling  InfluxDB direct LP   ${fmt(ceiling.influx!.pointsPerSec)} points/s  ${fmt(ceiling.influx!.fieldsPerSec)} fields/s`,
    );
    lines.push(
      `ceiling  SQLite direct        ${fmt(ceiling.sqlite.pointsPerSec)} points/s  ${fmt(ceiling.sqlite.fieldsPerSec)} fields/s`,
    );
  }
  if (scenarios.has('e2e')) {
    const machines = Number(o.machines);
    const e2e = await runE2e({
      influxUrl: influxd!.url,
      machines,
      samplesPerMessage: 10,
      durationMs,
      t0: t0 + 1e11,
    });
    const ratio = e2e.sustainableSamplesPerSec / ceiling!.influx!.pointsPerSec;
    results.e2e = { ...e2e, ratioToCeiling: ratio };
    lines.push(
      `e2e      → InfluxDB            ${fmt(e2e.sustainableSamplesPerSec)} samples/s sustained, zero loss  = ${ratio.toFixed(2)} × ceiling`,
    );
    if (o.sqlite) {
      const e2eSqlite = await runE2e({
        influxUrl: null,
        machines,
        samplesPerMessage: 10,
        durationMs,
        t0: t0 + 2e11,
      });
      const r = e2eSqlite.sustainableSamplesPerSec / ceiling!.sqlite.pointsPerSec;
      results.e2eSqlite = { ...e2eSqlite, ratioToCeiling: r };
      lines.push(
        `e2e      → SQLite              ${fmt(e2eSqlite.sustainableSamplesPerSec)} samples/s sustained  = ${r.toFixed(2)} × ceiling`,
      );
    }
  }
  if (scenarios.has('broker')) {
    const broker = await runBroker({ machines: Number(o.machines), durationMs, t0: t0 + 3e11 });
    results.broker = broker;
    for (const r of broker.runs)
      lines.push(`broker   ${r.broker.padEnd(10)} QoS ${r.qos}     ${fmt(r.msgPerSec)} msg/s delivered`);
    lines.push(
      `broker   ratio SawBrain/Mosquitto  QoS 0 ${broker.ratioQos0.toFixed(2)}  QoS 1 ${broker.ratioQos1.toFixed(2)}`,
    );
  }
  if (scenarios.has('memory')) {
    const n = o.quick ? Math.min(300, Number(o.memoryMachines)) : Number(o.memoryMachines);
    const memory = await runMemory({ machines: n, activeMs: durationMs, t0: t0 + 4e11 });
    results.memory = memory;
    lines.push(
      `memory   baseline ${fmt(memory.baselineMiB, 1)} MiB; per 1,000 idle ${fmt(memory.idlePer1000MiB, 1)} MiB; per 1,000 active ${fmt(memory.activePer1000MiB, 1)} MiB`,
    );
  }
} finally {
  await influxd?.stop();
}

mkdirSync(dirname(o.out), { recursive: true });
writeFileSync(o.out, `${JSON.stringify(results, null, 2)}\n`);
process.stdout.write(
  `\nSawBrain benchmark — ${JSON.stringify(results.machine)}\n${lines.join('\n')}\nresults: ${o.out}\n`,
);
