/**
 * k-anonymous aggregation for the innovation tier: every output bucket aggregates at least `k`
 * distinct machines. Buckets are keyed by dimensions ordered from the most general to the most
 * specific; a bucket below `k` is generalised (its most specific remaining dimension becomes
 * "other") and merged with the other leftovers at that level; what is still below `k` when
 * nothing is left to generalise is suppressed. The records carry machine ids only to count
 * distinct machines; the output has no identifiers.
 */

export const OTHER = 'other';

export interface AnonRecord {
  machine: string;
  /** dimension values, most general first (e.g. region, industry) */
  key: readonly string[];
  values: Readonly<Record<string, number>>;
}

export interface AnonBucket {
  key: string[];
  machines: number;
  values: Record<string, number>;
}

export function anonymise(
  records: readonly AnonRecord[],
  k: number,
): { buckets: AnonBucket[]; suppressed: number } {
  let pending = [...records];
  const buckets: AnonBucket[] = [];
  const dims = records[0]?.key.length ?? 0;
  for (let level = dims; level >= 0 && pending.length > 0; level--) {
    const groups = new Map<string, AnonRecord[]>();
    for (const r of pending) {
      const key = r.key.map((v, i) => (i < level ? v : OTHER));
      const id = key.join('\u0000');
      const list = groups.get(id) ?? [];
      list.push(r);
      groups.set(id, list);
    }
    const left: AnonRecord[] = [];
    for (const [id, list] of groups) {
      const machines = new Set(list.map((r) => r.machine)).size;
      if (machines < k) {
        left.push(...list);
        continue;
      }
      const values: Record<string, number> = {};
      for (const r of list) for (const [f, v] of Object.entries(r.values)) values[f] = (values[f] ?? 0) + v;
      buckets.push({ key: id.split('\u0000'), machines, values });
    }
    pending = left;
  }
  return { buckets, suppressed: new Set(pending.map((r) => r.machine)).size };
}
