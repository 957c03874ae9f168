import type { MqttClient } from 'mqtt';
import type { Registry } from 'prom-client';
import { validateTopicPayload } from '../contracts/index.js';
import type { Config } from '../core/config.js';
import { SawBrainError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { type Clock, systemClock, type TelemetryStore } from '../core/ports.js';
import type { RuleSeed, Seeds } from '../seeds/index.js';
import { AnalysisEngine, type EngineOutput } from './engine.js';
import type { LifecycleEvent, WarningRecord } from './lifecycle/record.js';
import { type AnalysisMetrics, analysisMetrics } from './metrics.js';
import { connectLink } from './mqtt-link.js';
import { eventPoints, feedbackPoint, toWarningMessage } from './outputs.js';
import { editRule } from './rule-edits.js';
import type { RuleKind } from './rules/index.js';
import { AnalysisStore, FeedbackVerdict, type RuleQuality, type WarningFilter } from './store/sqlite.js';

export { AnalysisEngine, type EngineOptions, type EngineOutput } from './engine.js';
export type { LifecycleEvent, WarningRecord } from './lifecycle/record.js';
export { defineRule, RULE_KINDS, type RuleKind } from './rules/index.js';
export type { RuleQuality, WarningFilter } from './store/sqlite.js';

export interface AnalysisDeps {
  config: Config;
  seeds: Seeds;
  logger: Logger;
  metrics: Registry;
  brokerUrl: string;
  password: string;
  /** where `warning_event` history goes (the algorithms database); null = SQLite only */
  store: TelemetryStore | null;
  /** plant of a machine (registry), for flood control per plant */
  plantOf?: (tenant: string, machine: string) => string | undefined;
  /** extra rule implementations and rules (plugins; tests) */
  kinds?: readonly RuleKind[];
  rules?: readonly RuleSeed[];
  clock?: Clock;
}

/**
 * The analysis service: a persistent QoS 1 subscriber to every machine's uplink topics that feeds
 * the pure AnalysisEngine, keeps the warnings' lifecycle in SQLite (`<dataDir>/analysis`),
 * publishes warnings to each machine's `…/warning` topic, writes their history to the algorithms
 * database, and offers the programmatic API (list / ack / shelve / feedback / rule edits) the HTTP
 * API will expose. A failing rule, a bad message or a store outage never stops it (or ingest).
 */
export class AnalysisService {
  private readonly log: Logger;
  private readonly m: AnalysisMetrics;
  private readonly clock: Clock;
  private db: AnalysisStore | null = null;
  private engine: AnalysisEngine | null = null;
  private client: MqttClient | null = null;
  private timer: NodeJS.Timeout | null = null;
  private writes: Promise<void> = Promise.resolve();
  private readonly bootId = `analysis-${Date.now().toString(36)}`;
  private seq = 0;
  private readonly failureLog = new Map<string, number>();

  constructor(private readonly deps: AnalysisDeps) {
    this.log = deps.logger.child({ svc: 'analysis' });
    this.m = analysisMetrics(deps.metrics);
    this.clock = deps.clock ?? systemClock;
  }

  async start(): Promise<void> {
    const { config, seeds } = this.deps;
    this.db = new AnalysisStore(`${config.dataDir}/analysis/analysis.sqlite`);
    const edited = new Map(this.db.ruleVersions().map((r) => [r.id, r]));
    const rules = [...seeds.rules, ...(this.deps.rules ?? [])].map((r) => edited.get(r.id) ?? r);
    const a = config.analysis;
    this.engine = new AnalysisEngine({
      seeds,
      rules,
      kinds: this.deps.kinds ?? [],
      ...(this.deps.plantOf ? { plantOf: this.deps.plantOf } : {}),
      lifecycle: {
        flood: { windowMs: a.floodWindowMs, perMachine: a.floodPerMachine, perPlant: a.floodPerPlant },
        autoResolveMs: a.autoResolveHours * 3_600_000,
      },
    });
    this.engine.restoreWarnings(this.db.warnings({ open: true, limit: 100_000 }));
    this.m.open.set(this.engine.warnings().length);
    this.timer = setInterval(() => this.apply(this.engine!.tick(this.clock.now())), a.tickMs);
    this.client = await connectLink({
      url: this.deps.brokerUrl,
      clientId: a.clientId,
      username: a.username,
      password: this.deps.password,
      log: this.log,
      onMessage: (topic, payload) => this.receive(topic, payload),
    });
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const client = this.client;
    this.client = null;
    if (client) await client.endAsync();
    await this.writes;
    this.db?.close();
    this.db = null;
  }

  /** One MQTT message: validated against the standard, then analysed; nothing here may throw. */
  private receive(topic: string, payload: Buffer): void {
    const { address, result } = validateTopicPayload(topic, payload);
    if (!address || !result.ok) {
      this.m.invalid.labels(result.ok ? 'topic' : result.reason).inc();
      return;
    }
    this.m.messages.labels(result.kind).inc();
    try {
      this.apply(
        this.engine!.handle(
          address,
          { kind: result.kind, payload: result.payload } as never,
          this.clock.now(),
        ),
      );
    } catch (err) {
      this.m.engineErrors.inc();
      this.log.error({ err, topic }, 'analysis failed on a message; skipped');
    }
  }

  /** Persists, publishes and records what the engine produced. */
  private apply(out: EngineOutput): void {
    for (const f of out.failures) {
      this.m.ruleFailures.labels(f.rule).inc();
      const last = this.failureLog.get(f.rule) ?? 0;
      if (this.clock.now() - last > 60_000) {
        this.failureLog.set(f.rule, this.clock.now());
        this.log.warn(
          { rule: f.rule, machine: f.machine, err: f.message },
          'rule failed (isolated; further failures counted)',
        );
      }
    }
    if (out.changed.length === 0 && out.events.length === 0) return;
    this.db?.save(out.changed, out.events);
    for (const e of out.events) this.m.warnings.labels(e.type, e.action).inc();
    for (const r of out.publish) this.publish(r);
    this.m.open.set(this.engine?.warnings().length ?? 0);
    this.record(out.events);
  }

  private publish(r: WarningRecord): void {
    const client = this.client;
    if (!client) return;
    const { topic, payload } = toWarningMessage(r, {
      ts: this.clock.now(),
      bootId: this.bootId,
      seq: this.seq++,
    });
    client.publish(topic, JSON.stringify(payload), { qos: 1 }, (err) => {
      if (err) this.log.warn({ err: err.message, topic }, 'warning publish failed');
      else this.m.published.inc();
    });
  }

  private record(events: readonly LifecycleEvent[]): void {
    const store = this.deps.store;
    if (!store || !this.deps.config.analysis.history || events.length === 0) return;
    const points = eventPoints(events);
    this.writes = this.writes.then(() =>
      store.write(points).catch((err: unknown) => {
        this.m.historyErrors.inc();
        this.log.warn(
          { err: (err as Error).message },
          'warning history not written to the store (kept in SQLite)',
        );
      }),
    );
  }

  // ------------------------------------------------------------------ programmatic API

  private need(): { engine: AnalysisEngine; db: AnalysisStore } {
    if (!this.engine || !this.db) throw new SawBrainError('QUERY_INVALID', 'analysis service is not running');
    return { engine: this.engine, db: this.db };
  }

  list(filter: WarningFilter = {}): WarningRecord[] {
    return this.need().db.warnings(filter);
  }

  get(id: string): WarningRecord | undefined {
    return this.need().engine.warning(id) ?? this.need().db.warning(id);
  }

  history(id: string): LifecycleEvent[] {
    return this.need().db.history(id);
  }

  private openOr404(id: string): void {
    if (!this.need().engine.warning(id)) throw new SawBrainError('QUERY_INVALID', `no open warning ${id}`);
  }

  ack(id: string, by: string, note?: string): WarningRecord {
    this.openOr404(id);
    const { record, out } = this.need().engine.ack(id, by, this.clock.now(), note ?? null);
    this.apply({ ...out, failures: [] });
    return record!;
  }

  /** Shelves a warning until `untilTs` (or for `durationMs`); it returns by itself on expiry. */
  shelve(id: string, by: string, o: { untilTs?: number; durationMs?: number; note?: string }): WarningRecord {
    this.openOr404(id);
    const now = this.clock.now();
    const until = o.untilTs ?? now + (o.durationMs ?? 8 * 3_600_000);
    if (!(until > now)) throw new SawBrainError('QUERY_INVALID', 'shelving must end in the future');
    const { record, out } = this.need().engine.shelve(id, until, by, now, o.note ?? null);
    this.apply({ ...out, failures: [] });
    return record!;
  }

  unshelve(id: string, by: string): WarningRecord {
    this.openOr404(id);
    const { record, out } = this.need().engine.unshelve(id, by, this.clock.now());
    this.apply({ ...out, failures: [] });
    return record!;
  }

  /** Operator feedback on a warning, recorded against the rule (id@version) that raised it. */
  feedback(id: string, by: string, input: { verdict: string; cause?: string; note?: string }): void {
    const { db } = this.need();
    const r = this.get(id);
    if (!r) throw new SawBrainError('QUERY_INVALID', `no warning ${id}`);
    const verdict = FeedbackVerdict.safeParse(input.verdict);
    if (!verdict.success)
      throw new SawBrainError(
        'QUERY_INVALID',
        `verdict must be one of ${FeedbackVerdict.options.join(', ')}`,
      );
    if (verdict.data === 'cause-corrected' && !this.deps.seeds.lookup.fault.has(input.cause ?? '')) {
      throw new SawBrainError(
        'QUERY_INVALID',
        'cause-corrected needs the actual cause (a fault-dictionary id)',
      );
    }
    const at = this.clock.now();
    const cause = input.cause ?? null;
    db.addFeedback({
      warningId: id,
      rule: r.rule,
      type: r.type,
      verdict: verdict.data,
      cause,
      note: input.note ?? null,
      author: by,
      at,
    });
    const store = this.deps.store;
    if (store && this.deps.config.analysis.history) {
      const point = feedbackPoint(r, verdict.data, cause, by, at);
      this.writes = this.writes.then(() => store.write([point]).catch(() => this.m.historyErrors.inc()));
    }
  }

  ruleQuality(): RuleQuality[] {
    return this.need().db.ruleQuality();
  }

  rules(): RuleSeed[] {
    return this.need().engine.rules.rules.map((r) => r.seed);
  }

  /** Edits a rule at run time: validated, stored as a new version, applied at once. */
  editRule(id: string, edit: unknown, by: string): RuleSeed {
    const { engine, db } = this.need();
    const current = engine.rules.byId.get(id);
    if (!current) throw new SawBrainError('QUERY_INVALID', `no rule ${id}`);
    const versions = db.ruleHistory(id).map((v) => v.version);
    const next = editRule(current.seed, edit, engine.ruleKinds, Math.max(current.version, ...versions) + 1);
    const note = (edit as { note?: string } | null)?.note ?? null;
    db.saveRuleVersion(next, by, note, this.clock.now());
    engine.setRules(engine.rules.rules.map((r) => (r.id === id ? next : r.seed)));
    this.log.info({ rule: `${id}@${next.version}`, by }, 'rule edited');
    return next;
  }

  stats() {
    const e = this.engine;
    return {
      machines: e?.machineIds().length ?? 0,
      open: e?.warnings().length ?? 0,
      floodLimited: e?.floodLimited ?? 0,
      ruleFailures: Object.fromEntries(e?.failureCounts ?? []),
    };
  }
}
