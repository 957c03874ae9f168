/**
 * The data brain map as a tree in a flat list (each node names its parent): per tier a different
 * hierarchy over the same machine figures, with health rolled up from the leaves. Pure functions.
 */

export type Health = 'critical' | 'warning' | 'offline' | 'ok' | 'unknown';
/** worst first */
const ORDER: readonly Health[] = ['critical', 'warning', 'offline', 'ok', 'unknown'];

export interface MachineFigures {
  machineId: string;
  label: string;
  /** grouping keys */
  keys: Record<string, string>;
  health: Health;
  state: string | null;
  openWarnings: number;
  criticalWarnings: number;
  cuts24h: number;
  areaCm2_24h: number;
  energyKWh24h: number;
}

export interface MapNode {
  id: string;
  parentId: string | null;
  kind: string;
  label: string;
  status: Health;
  machines: number;
  running: number;
  offline: number;
  openWarnings: number;
  criticalWarnings: number;
  cuts24h: number;
  areaCm2_24h: number;
  energyKWh24h: number;
  kWhPerCm2: number | null;
  state: string | null;
}

const round = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;

export function worst(list: readonly Health[]): Health {
  let best = ORDER.length - 1;
  for (const h of list) best = Math.min(best, ORDER.indexOf(h));
  return list.length === 0 ? 'unknown' : ORDER[best]!;
}

export function rollUp(
  id: string,
  parentId: string | null,
  kind: string,
  label: string,
  ms: readonly MachineFigures[],
): MapNode {
  const sum = (f: (m: MachineFigures) => number) => ms.reduce((a, m) => a + f(m), 0);
  const area = sum((m) => m.areaCm2_24h);
  const energy = sum((m) => m.energyKWh24h);
  return {
    id,
    parentId,
    kind,
    label,
    status: worst(ms.map((m) => m.health)),
    machines: ms.length,
    running: ms.filter((m) => m.state === 'running').length,
    offline: ms.filter((m) => m.health === 'offline').length,
    openWarnings: sum((m) => m.openWarnings),
    criticalWarnings: sum((m) => m.criticalWarnings),
    cuts24h: sum((m) => m.cuts24h),
    areaCm2_24h: round(area),
    energyKWh24h: round(energy, 4),
    kWhPerCm2: area > 0 ? round(energy / area, 9) : null,
    state: null,
  };
}

function groupBy(ms: readonly MachineFigures[], key: string): Map<string, MachineFigures[]> {
  const out = new Map<string, MachineFigures[]>();
  for (const m of ms) {
    const k = m.keys[key] ?? 'unknown';
    const list = out.get(k);
    if (list) list.push(m);
    else out.set(k, [m]);
  }
  return new Map([...out.entries()].sort(([a], [b]) => a.localeCompare(b)));
}

/** Named tree: root → levels[0] → levels[1] … → machines (leaves carry the machine's own figures). */
export function namedTree(
  rootKind: string,
  rootLabel: string,
  levels: readonly string[],
  ms: readonly MachineFigures[],
): MapNode[] {
  const nodes: MapNode[] = [rollUp('root', null, rootKind, rootLabel, ms)];
  const walk = (parent: string, depth: number, group: readonly MachineFigures[]) => {
    if (depth === levels.length) {
      for (const m of group)
        nodes.push({
          ...rollUp(`${parent}/${m.machineId}`, parent, 'machine', m.label, [m]),
          state: m.state,
        });
      return;
    }
    for (const [k, members] of groupBy(group, levels[depth]!)) {
      const id = `${parent}/${k}`;
      nodes.push(rollUp(id, parent, levels[depth]!, k, members));
      walk(id, depth + 1, members);
    }
  };
  walk('root', 0, ms);
  return nodes;
}

/**
 * Buckets of at least k machines: smaller groups merge into "other"; an "other" still below k
 * takes in the smallest sibling. With a total ≥ k every returned bucket has ≥ k members.
 */
export function mergeSmall(groups: Map<string, MachineFigures[]>, k: number): Map<string, MachineFigures[]> {
  const out = new Map<string, MachineFigures[]>();
  const other: MachineFigures[] = [];
  for (const [label, members] of groups) {
    if (members.length < k || label === 'other') other.push(...members);
    else out.set(label, members);
  }
  if (other.length > 0 && other.length < k && out.size > 0) {
    const [smallest] = [...out.entries()].sort(
      (a, b) => a[1].length - b[1].length || a[0].localeCompare(b[0]),
    );
    out.delete(smallest![0]);
    other.push(...smallest![1]);
  }
  if (other.length > 0) out.set('other', other);
  return out;
}

/** Anonymised tree for the innovation tier: no machine leaves, no identifiers, every node ≥ k machines. */
export function anonymisedTree(
  levels: readonly string[],
  ms: readonly MachineFigures[],
  k: number,
): MapNode[] {
  if (ms.length < k) return [];
  const nodes: MapNode[] = [rollUp('root', null, 'fleet', 'fleet', ms)];
  const walk = (parent: string, depth: number, group: readonly MachineFigures[]) => {
    if (depth === levels.length) return;
    for (const [label, members] of mergeSmall(groupBy(group, levels[depth]!), k)) {
      const id = `${parent}/${label}`;
      nodes.push(rollUp(id, parent, levels[depth]!, label, members));
      walk(id, depth + 1, members);
    }
  };
  walk('root', 0, ms);
  return nodes;
}
