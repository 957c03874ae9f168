import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MachineRegistry } from '../../services/registry/index.js';
import { fmt, progress, rssOf, runPublisher, sleep } from '../lib/common.js';
import { provisionBenchMachines } from '../lib/provision.js';
import { startSawbrainProcess } from '../lib/servers.js';

/**
 * Memory of one SawBrain node (broker + ingest in one process, embedded store): RSS at rest,
 * with N machines connected and idle, and with N machines publishing one telemetry message per
 * second each. Reported per 1,000 machines.
 */
export async function runMemory(opts: { machines: number; activeMs: number; t0: number }) {
  const dir = mkdtempSync(join(tmpdir(), 'sawbrain-bench-mem-'));
  const machines = await provisionBenchMachines(dir, opts.machines);
  const registry = MachineRegistry.open(dir, { scrypt: { N: 1024, r: 8, p: 1 } });
  const probe = await registry.addService('bench-probe', ['ingest']);
  registry.close();
  const server = await startSawbrainProcess(dir, 'broker,ingest', probe);
  try {
    await sleep(2000);
    const baseline = rssOf(server.pid);
    progress('memory', `baseline RSS ${fmt(baseline / 2 ** 20, 1)} MiB`);
    let idleRss = 0;
    await runPublisher(
      { url: server.url, machines, mode: 'idle', durationMs: 8000, t0: opts.t0, connectConcurrency: 25 },
      () => {
        // all connected: sample RSS a few seconds later, once allocation settles
        setTimeout(() => {
          idleRss = rssOf(server.pid);
        }, 5000);
      },
    );
    progress('memory', `${opts.machines} idle: RSS ${fmt(idleRss / 2 ** 20, 1)} MiB`);
    await sleep(1500);
    let activeRss = 0;
    const sampler = setInterval(() => {
      activeRss = Math.max(activeRss, rssOf(server.pid));
    }, 500);
    await runPublisher({
      url: server.url,
      machines,
      mode: 'open',
      rate: opts.machines, // one message per machine per second
      durationMs: opts.activeMs,
      samplesPerMessage: 10,
      t0: opts.t0,
      connectConcurrency: 25,
    });
    clearInterval(sampler);
    progress('memory', `${opts.machines} active: peak RSS ${fmt(activeRss / 2 ** 20, 1)} MiB`);
    const per1000 = (rss: number) => ((rss - baseline) / opts.machines) * 1000;
    return {
      machines: opts.machines,
      baselineMiB: baseline / 2 ** 20,
      idleMiB: idleRss / 2 ** 20,
      activePeakMiB: activeRss / 2 ** 20,
      idlePer1000MiB: per1000(idleRss) / 2 ** 20,
      activePer1000MiB: per1000(activeRss) / 2 ** 20,
    };
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
