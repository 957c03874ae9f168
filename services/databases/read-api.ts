import type {
  BaselineRow,
  BladeLedgerRow,
  BladeLifeRow,
  CutRow,
  DemandRow,
  EnergyRow,
  FeedbackRow,
  InstalledBaseRow,
  LifeModelRow,
  MarketDimension,
  MaterialMixRow,
  Period,
  RecommendationRow,
  ReplacementRow,
  RulePrecisionRow,
  RuleVersionRow,
  StateSpanRow,
  TelemetryRow,
  UtilisationRow,
  UtilisationTrendRow,
  WarningEventRow,
  WearPartRow,
} from './rows.js';

export * from './rows.js';

/**
 * The typed read interface of the four databases (operations, supply chain, market, algorithms),
 * for the HTTP API (issue 5) and the dashboards. The API authenticates the caller and turns its
 * tier into a Scope; this interface enforces the scope on every query, so a caller never sees
 * rows outside it:
 *
 * | tier          | Scope                                   | sees                                   |
 * | ------------- | --------------------------------------- | -------------------------------------- |
 * | admin         | `{ kind: 'all' }`                       | everything                             |
 * | manufacturer  | `{ kind: 'tenant', tenant }`            | its installed machines                 |
 * | plant         | `{ kind: 'plant', plant }` or `machines`| its own machines                       |
 * | innovation    | `{ kind: 'anonymised' }`                | fleet aggregates: no machine, plant or manufacturer identifiers, no bucket below 5 machines |
 *
 * Per-machine data (operations, blade ledger, replacements, wear parts, baselines, life model,
 * warnings, recommendations) takes a `MachineScope` only: an anonymised caller cannot ask for it
 * (a compile error, and a FORBIDDEN error at run time if forced). Fleet aggregates (market,
 * blade-life distributions, demand forecast, rule versions and precision) take any `Scope`.
 *
 * Times are epoch ms UTC; ranges are [from, to). Lists that can grow are paged with an opaque
 * cursor: pass `page.cursor` from the previous answer's `next`; `next` is absent on the last page.
 * Units are documented on the row schemas (rows.ts) and in docs/databases.md.
 */

/** Whose machines a query may touch. */
export type MachineScope =
  | { kind: 'all' }
  | { kind: 'tenant'; tenant: string }
  | { kind: 'plant'; plant: string }
  | { kind: 'machines'; machines: readonly string[] };

export type Scope = MachineScope | { kind: 'anonymised' };

export interface TimeRange {
  /** inclusive, epoch ms */
  from: number;
  /** exclusive, epoch ms */
  to: number;
}

export interface PageRequest {
  /** rows per page, 1..10 000 (default 1000) */
  limit?: number;
  /** `next` of the previous page */
  cursor?: string;
}

export interface Page<T> {
  items: T[];
  /** cursor of the next page; absent on the last page */
  next?: string;
}

/** Optional narrowing inside the scope (intersected with it, never widening it). */
export interface MachineFilter {
  /** only these machines (must lie inside the scope; others yield nothing) */
  machines?: readonly string[];
}

export interface OperationsRead {
  /** per-cut records with energy, CO₂ and shift, oldest first */
  cuts(scope: MachineScope, range: TimeRange, o?: MachineFilter & PageRequest): Promise<Page<CutRow>>;
  /**
   * the state timeline: contiguous spans covering wall time (offline included), oldest first;
   * the spans that start in the range (the one covering `from` starts before it)
   */
  states(scope: MachineScope, range: TimeRange, o?: MachineFilter & PageRequest): Promise<Page<StateSpanRow>>;
  /** utilisation, availability/performance/quality/OEE and throughput per machine and period */
  utilisation(
    scope: MachineScope,
    range: TimeRange,
    o?: MachineFilter & PageRequest & { period?: 'hour' | 'day' },
  ): Promise<Page<UtilisationRow>>;
  /** energy per machine and period (shift or day), with CO₂ at the configured grid factor */
  energy(
    scope: MachineScope,
    range: TimeRange,
    o?: MachineFilter & PageRequest & { period?: 'shift' | 'day' },
  ): Promise<Page<EnergyRow>>;
  /**
   * Telemetry of one machine: `raw` samples (within the raw retention) or `1m` means (kept
   * longer). `fields` default: all variables.
   */
  telemetry(
    scope: MachineScope,
    machine: string,
    range: TimeRange,
    o?: PageRequest & { resolution?: 'raw' | '1m'; fields?: readonly string[] },
  ): Promise<Page<TelemetryRow>>;
}

export interface SupplyChainRead {
  /** blade ledger: one row per blade loop mounted (open or dismounted), by mount time */
  bladeLedger(
    scope: MachineScope,
    range: TimeRange,
    o?: MachineFilter & PageRequest,
  ): Promise<Page<BladeLedgerRow>>;
  /**
   * Blade life distributions per blade type × material class (latest rollup). For the
   * anonymised scope only distributions built from ≥ 5 machines; for a tenant/plant scope built
   * from its own machines only.
   */
  bladeLife(scope: Scope, o?: { bladeType?: string; materialClass?: string }): Promise<BladeLifeRow[]>;
  /** predicted replacements per machine (latest forecast), soonest first */
  replacements(scope: MachineScope, o?: MachineFilter & { horizonDays?: number }): Promise<ReplacementRow[]>;
  /**
   * Weekly blade demand per region × blade type × supplier (latest forecast); the sum over the
   * rows equals the number of predicted replacements in the horizon. Tenant/plant scopes get the
   * demand of their own machines; the anonymised scope gets buckets of ≥ 5 machines (smaller
   * ones merged into region "other", then suppressed).
   */
  demandForecast(scope: Scope, o?: { weeks?: number; region?: string }): Promise<DemandRow[]>;
  /** wear-part consumption per machine and part (guides, brushes, wheels, seals), latest rollup */
  wearParts(scope: MachineScope, o?: MachineFilter): Promise<WearPartRow[]>;
}

export interface MarketRead {
  /**
   * Installed and active machines by the chosen dimensions (default all four; region and
   * industry for the anonymised scope), per day. The anonymised scope may group by region and
   * industry only (model and manufacturer are refused: a model names its maker); its buckets
   * have ≥ 5 machines, smaller ones merged or suppressed.
   */
  installedBase(
    scope: Scope,
    range: TimeRange,
    o?: { by?: readonly MarketDimension[] },
  ): Promise<InstalledBaseRow[]>;
  /** daily utilisation, cuts, area and energy by the chosen dimensions */
  utilisationTrend(
    scope: Scope,
    range: TimeRange,
    o?: { by?: readonly MarketDimension[] },
  ): Promise<UtilisationTrendRow[]>;
  /** materials and sections cut (a demand signal) by region and/or industry, per day */
  materials(
    scope: Scope,
    range: TimeRange,
    o?: { by?: readonly ('region' | 'industry')[] },
  ): Promise<MaterialMixRow[]>;
}

export interface AlgorithmsRead {
  /** every version of every rule (all tiers may read rules) */
  rules(o?: { rule?: string }): Promise<RuleVersionRow[]>;
  /** learned baselines per machine (latest snapshot) */
  baselines(scope: MachineScope, o?: MachineFilter): Promise<BaselineRow[]>;
  /** remaining-life model state per machine (latest snapshot) */
  lifeModel(scope: MachineScope, o?: MachineFilter): Promise<LifeModelRow[]>;
  /** warning lifecycle events (raise, acknowledge, clear, …), oldest first */
  warningEvents(
    scope: MachineScope,
    range: TimeRange,
    o?: MachineFilter & PageRequest,
  ): Promise<Page<WarningEventRow>>;
  /** operator feedback on warnings, oldest first */
  feedback(
    scope: MachineScope,
    range: TimeRange,
    o?: MachineFilter & PageRequest,
  ): Promise<Page<FeedbackRow>>;
  /** measured precision per rule version (latest rollup); fleet-wide, no identifiers */
  rulePrecision(scope: Scope): Promise<RulePrecisionRow[]>;
  /** process recommendations per machine × material class × size, with their outcomes */
  recommendations(scope: MachineScope, o?: MachineFilter): Promise<RecommendationRow[]>;
}

/** The four databases, read side. Implemented by DatabaseReader (reader.ts). */
export interface DatabasesReadApi {
  readonly operations: OperationsRead;
  readonly supplyChain: SupplyChainRead;
  readonly market: MarketRead;
  readonly algorithms: AlgorithmsRead;
}

export type { Period };
