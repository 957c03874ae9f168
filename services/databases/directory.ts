import type { Machine } from '../registry/index.js';
import type { Seeds } from '../seeds/index.js';

/** What the databases know about a machine besides its data: where it stands, what it is. */
export interface MachineInfo {
  machineId: string;
  tenant: string;
  plant: string;
  site: string;
  region: string;
  industry: string;
  model: string;
  /** horizontal / vertical / double-column (from the model); "unknown" for unknown models */
  sawType: string;
  /** plant-local offset for shifts, from the region */
  utcOffsetMinutes: number;
}

/** The registry's view of a machine, as far as the databases need it. */
export type RegisteredMachine = Pick<
  Machine,
  'machineId' | 'tenant' | 'plant' | 'site' | 'region' | 'industry' | 'model' | 'revokedAt'
>;

/**
 * Machine directory: the registry first (the installed base of record), then the demo fleet of
 * seeds/ for machines not registered (offline tests, the evaluation). Unknown machines that send
 * data still get an entry with "unknown" places so their data is not lost.
 */
export class MachineDirectory {
  private readonly extra = new Map<string, MachineInfo>();

  constructor(
    private readonly seeds: Seeds,
    private readonly registry?: {
      get(id: string): RegisteredMachine | null;
      list(filter?: { includeRevoked?: boolean }): RegisteredMachine[];
    },
  ) {}

  private info(m: Omit<RegisteredMachine, 'revokedAt'>): MachineInfo {
    return {
      machineId: m.machineId,
      tenant: m.tenant,
      plant: m.plant,
      site: m.site,
      region: m.region,
      industry: m.industry,
      model: m.model,
      sawType: this.seeds.lookup.model.get(m.model)?.type ?? 'unknown',
      utcOffsetMinutes: this.seeds.lookup.region.get(m.region)?.utcOffsetMinutes ?? 0,
    };
  }

  /** The machine, or a provisional entry built from what its messages say (tenant, model). */
  get(machineId: string, seen?: { tenant: string; model?: string }): MachineInfo | undefined {
    const r = this.registry?.get(machineId);
    if (r) return this.info(r);
    const s = this.seeds.lookup.machine.get(machineId);
    if (s) return this.info(s);
    const known = this.extra.get(machineId);
    if (known && (!seen?.model || known.model === seen.model)) return known;
    if (!seen) return known;
    const info = this.info({
      machineId,
      tenant: seen.tenant,
      plant: 'unknown',
      site: 'unknown',
      region: 'unknown',
      industry: 'unknown',
      model: seen.model ?? known?.model ?? 'unknown',
    });
    this.extra.set(machineId, info);
    return info;
  }

  /**
   * The installed base: the registered machines (not revoked) — or, without a registry (replays,
   * the evaluation), the seeds' demo fleet — plus machines that sent data without being known.
   */
  list(): MachineInfo[] {
    const base = this.registry ? this.registry.list({ includeRevoked: false }) : this.seeds.machines;
    const out = new Map(base.map((m) => [m.machineId, this.info(m)]));
    for (const [id, info] of this.extra) if (!out.has(id)) out.set(id, info);
    return [...out.values()];
  }
}
