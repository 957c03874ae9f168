import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Where a process's CPU went, from a V8 CPU profile (`node --cpu-prof`): self time per area of
 * the code, as shares of the busy (non-idle) time. Areas are named after the folders of this
 * repository and the libraries on the hot path, so the table reads like the architecture.
 */
interface CallFrame {
  functionName: string;
  url: string;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const AREAS: [RegExp, string][] = [
  [
    /node_modules\/(aedes|aedes-[^/]+|mqemitter|mqtt-packet|bl|readable-stream|fastfall|fastparallel|fastseries|reusify|retimer|uuid)\//,
    'broker library (aedes, mqtt-packet)',
  ],
  [/node_modules\/better-sqlite3\//, 'SQLite (better-sqlite3)'],
  [/node_modules\/(pino|sonic-boom|thread-stream)/, 'logging (pino)'],
  [/node_modules\/prom-client\//, 'metrics (prom-client)'],
  [/node_modules\/zod\//, 'zod'],
  [/node_modules\//, 'other libraries'],
  [/services\/contracts\//, 'services/contracts (fast check, topics)'],
  [/services\/broker\//, 'services/broker (auth, ACL, guard)'],
  [/services\/ingest\//, 'services/ingest (journal, conversion, flusher)'],
  [/services\/stores\//, 'services/stores (line protocol, HTTP client)'],
  [/services\/analysis\//, 'services/analysis (warning engine)'],
  [/services\/databases\//, 'services/databases'],
  [/services\//, 'other services'],
  [/^node:/, 'Node.js runtime (net, streams, timers, http)'],
];

function areaOf(f: CallFrame): string | null {
  if (f.functionName === '(idle)') return null;
  if (f.functionName === '(garbage collector)') return 'garbage collection';
  if (f.functionName === '(program)') return 'V8 / native (program)';
  if (f.url === '') return `native: ${f.functionName || '(anonymous)'}`;
  for (const [re, name] of AREAS) if (re.test(f.url)) return name;
  return 'other';
}

export interface ProfileShare {
  area: string;
  share: number;
}

/** Self time per area, largest first, for the profiles in `dir` (all of them together). */
export function summarizeProfiles(dir: string): { busySeconds: number; shares: ProfileShare[] } {
  const totals = new Map<string, number>();
  let busy = 0;
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))) {
    const p = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile;
    const area = new Map<number, string | null>(p.nodes.map((n) => [n.id, areaOf(n.callFrame)]));
    for (let i = 0; i < p.samples.length; i++) {
      const a = area.get(p.samples[i]!);
      if (!a) continue;
      const dt = p.timeDeltas[i] ?? 0;
      busy += dt;
      totals.set(a, (totals.get(a) ?? 0) + dt);
    }
  }
  const shares = [...totals]
    .map(([a, t]) => ({ area: a, share: busy > 0 ? t / busy : 0 }))
    .sort((x, y) => y.share - x.share);
  return { busySeconds: busy / 1e6, shares };
}
