import { describe, expect, it } from 'vitest';
import { anonymisedTree, type MachineFigures, namedTree, worst } from '../../services/api/map-tree.js';

const machine = (
  i: number,
  keys: Record<string, string>,
  health: MachineFigures['health'] = 'ok',
): MachineFigures => ({
  machineId: `M${i}`,
  label: `M${i}`,
  keys,
  health,
  state: health === 'offline' ? 'offline' : 'running',
  openWarnings: health === 'warning' || health === 'critical' ? 1 : 0,
  criticalWarnings: health === 'critical' ? 1 : 0,
  cuts24h: 10,
  areaCm2_24h: 1000,
  energyKWh24h: 0.2,
});

/** A deterministic pseudo-random fleet spread over few regions/industries/types. */
function fleet(n: number, seed: number): MachineFigures[] {
  let x = seed;
  const next = (k: number) => {
    x = (x * 1_103_515_245 + 12_345) % 2_147_483_648;
    return x % k;
  };
  return Array.from({ length: n }, (_, i) =>
    machine(
      i,
      { region: `r${next(4)}`, industry: `i${next(3)}`, type: `t${next(3)}` },
      next(5) === 0 ? 'warning' : 'ok',
    ),
  );
}

describe('data brain map tree', () => {
  it('rolls health up: the worst below a node', () => {
    expect(worst(['ok', 'offline', 'warning'])).toBe('warning');
    expect(worst(['ok', 'critical'])).toBe('critical');
    expect(worst([])).toBe('unknown');
    const nodes = namedTree(
      'plant',
      'P',
      ['line'],
      [machine(1, { line: 'a' }, 'critical'), machine(2, { line: 'b' })],
    );
    expect(nodes.map((n) => [n.id, n.status, n.machines])).toEqual([
      ['root', 'critical', 2],
      ['root/a', 'critical', 1],
      ['root/a/M1', 'critical', 1],
      ['root/b', 'ok', 1],
      ['root/b/M2', 'ok', 1],
    ]);
  });

  it('anonymised buckets: every node ≥ k machines, counts add up, nothing lost, no machine ids', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const n = 5 + (seed % 40);
      const ms = fleet(n, seed);
      const nodes = anonymisedTree(['region', 'industry', 'type'], ms, 5);
      for (const node of nodes) expect(node.machines).toBeGreaterThanOrEqual(5);
      for (const parent of nodes) {
        const kids = nodes.filter((c) => c.parentId === parent.id);
        if (kids.length) expect(kids.reduce((a, c) => a + c.machines, 0)).toBe(parent.machines);
      }
      expect(nodes[0]!.machines).toBe(n);
      expect(JSON.stringify(nodes)).not.toMatch(/"M\d+"/);
    }
  });

  it('suppresses a fleet smaller than k altogether', () => {
    expect(anonymisedTree(['region'], fleet(4, 7), 5)).toEqual([]);
  });
});
