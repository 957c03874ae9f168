import { performance } from 'node:perf_hooks';
import type { Aedes } from 'aedes';
import type { Registry } from 'prom-client';
import { validateTopicPayload } from '../contracts/index.js';
import type { Config } from '../core/config.js';
import { SawBrainError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { type Clock, systemClock, type TelemetryStore } from '../core/ports.js';
import type { RuleSeed, Seeds } from '../seeds/index.js';
import { AnalysisEngine, type EngineOutput } from './engine.js';
import { learnedState } from './learned-state.js';
import type { LifecycleEvent, WarningRecord } from './lifecycle/record.js';
import { type AnalysisMetrics, analysisMetrics } from './metrics.js';
import { type AnalysisLink, connectLink, inProcessLink } from './mqtt-link.js';
import { eventPoints, feedbackPoint, toWarningMessage } from './outputs.js';
import { editRule } from './rule-edits.js';
import type { RuleKind } from './rules/index.js';
import { AnalysisStore, FeedbackVerdict, type RuleQuality, type WarningFilter } from './store/sqlite.js';

export { AnalysisEngine, type EngineOptions, type EngineOutput } from './engine.js';
export type { LifecycleEvent, WarningRecord } from './lifecycle/record.js';
export { defineRule, RULE_KINDS, type RuleKind } from './rules/index.js';
export type { RuleQuality, WarningFilter } from './store/sqlite.js';

/**
 * Where the fleet's messages come from and warnings go: `in-process` on the broker of this
 * process (its aedes instance), or `mqtt` as a separate client with the analysis account.
 */
export type AnalysisTransport =
  | { kind: 'in-process'; aedes: Aedes }
  | { kind: 'mqtt'; url: string; password: string };

export interface AnalysisDeps {
  config: Config;
  seeds: Seeds;
  logger: Logger;
  metrics: Registry;
  transport: AnalysisTransport;
  /** where `warning_event` history goes (the algorithms database); null = SQLite only */
  store: TelemetryStore | null;
  /** plant of a machine (registry), for flood control per plant */
  plantOf?: (tenant: string, machine: string) => string | undefined;
  /** extra rule implementations and rules (plugins; tests) */
  kinds?: readonly RuleKind[];
  rules?: readonly RuleSeed[];
  clock?: Clock;
}

/** Work per batch before the event loop gets a turn (the broker and ingest share it). */
const SLICE_MS = 10;
/** Ticks a backlog may hold back before one runs regardless. */
const TICK_DEFER = 10;
/** A message waiting longer than this in the queue is logged (at most once a minute). */
const BEHIND_MS = 1000;

interface Queued {
  topic: string;
  payload: Buffer;
  at: number;
}

/** What one batch produced, persisted and sent at its end. */
interface Batch {
  changed: WarningRecord[];
  events: LifecycleEvent[];
  outgoing: { topic: string; payload: string }[];
}

/**
 * The analysis service: takes every machine's uplink messages (in-process from the broker when
 * it runs in this process, else as a persistent QoS 1 MQTT subscriber), queues them in arrival
 * order and analyses them in batches with the pure AnalysisEngine (queue depth and lag are
 * metrics), keeps the warnings' lifecycle in SQLite (`<dataDir>/analysis`), publishes warnings
 * to each machine's `…/warning` topic, writes their history to the algorithms database, and
 * offers the programmatic API (list / ack / shelve / feedback / rule edits) the HTTP API exposes.
 * A failing rule, a bad message or a store outage never stops it (or ingest).
 */
export class AnalysisService {
  private readonly log: Logger;
  private readonly m: AnalysisMetrics;
  private readonly clock: Clock;
  private db: AnalysisStore | null = null;
  private engine: AnalysisEngine | null = null;
  private link: AnalysisLink | null = null;
  /** arrival order = per-machine order; `head` is the next to analyse */
  private queue: (Queued | undefined)[] = [];
  private head = 0;
  private scheduled = false;
  /** mqtt: analyse on arrival when nothing is queued (see receive) */
  private inline = false;
  /** a tick waits for the queue to empty (at most TICK_DEFER ticks): it must not see a backlog */
  private tickPending = false;
  private lastTickAt = 0;
  private lastBehindLog = 0;
  private maxWaitMs = 0;
  private dropped = 0;
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
    this.timer = setInterval(() => this.tickOrDefer(), a.tickMs);
    const t = this.deps.transport;
    this.inline = t.kind === 'mqtt';
    const onMessage = (topic: string, payload: Buffer) => this.receive(topic, payload);
    this.link =
      t.kind === 'in-process'
        ? await inProcessLink(t.aedes, { log: this.log, onMessage })
        : await connectLink({
            url: t.url,
            clientId: a.clientId,
            username: a.username,
            password: t.password,
            log: this.log,
            onMessage,
          });
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    // what has arrived is analysed (and its warnings sent) before stopping; what arrives while
    // the link closes is analysed and kept in SQLite
    while (this.head < this.queue.length) this.drain(Number.POSITIVE_INFINITY);
    const link = this.link;
    this.link = null;
    if (link) await link.close();
    while (this.head < this.queue.length) this.drain(Number.POSITIVE_INFINITY);
    await this.writes;
    this.db?.close();
    this.db = null;
  }

  /**
   * Time-driven steps (cut joins that waited long enough, rule timeouts, auto-resolve, shelving
   * expiry) run on the wall clock; while messages wait in the queue they would judge a machine
   * on data it has sent but we have not analysed yet, so they wait for the queue to empty.
   */
  private tickOrDefer(): void {
    const now = this.clock.now();
    const backlog = this.head < this.queue.length;
    if (backlog && now - this.lastTickAt < TICK_DEFER * this.deps.config.analysis.tickMs) {
      this.tickPending = true;
      return;
    }
    this.tickPending = false;
    this.lastTickAt = now;
    try {
      this.apply(this.engine!.tick(now));
    } catch (err) {
      this.m.engineErrors.inc();
      this.log.error({ err }, 'analysis tick failed');
    }
  }

  /** How long the oldest queued message has waited (ms); 0 when nothing is queued. */
  lagMs(): number {
    for (let i = this.head; i < this.queue.length; i++) {
      const q = this.queue[i];
      if (q) return Math.max(0, this.clock.now() - q.at);
    }
    return 0;
  }

  /** A message from the link: queued in arrival order; analysed in the next batch. Never throws. */
  private receive(topic: string, payload: Buffer): void {
    const max = this.deps.config.analysis.maxQueue;
    if (this.queue.length - this.head >= max) {
      this.queue[this.head++] = undefined;
      this.dropped++;
      this.m.dropped.inc();
    }
    this.queue.push({ topic, payload, at: this.clock.now() });
    // over MQTT, mqtt.js hands messages over one at a time, off the broker's path: one that finds
    // nothing queued is analysed at once. In-process the listener sits on the broker's path (the
    // device's PUBACK waits for it), so it only queues and the batch runs on the next turn.
    if (this.inline && this.head === this.queue.length - 1 && !this.scheduled) {
      this.drain(SLICE_MS);
      return;
    }
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        this.drain(SLICE_MS);
      });
    }
  }

  /**
   * Analyses queued messages in arrival order (so per machine in order) for up to `sliceMs`, then
   * persists the batch's lifecycle in one SQLite transaction, writes its history in one store
   * write and publishes its warnings; what is left goes on after the event loop had a turn. A
   * backlog thus drains in large batches while the broker and ingest keep running.
   */
  private drain(sliceMs: number): void {
    const depth = this.queue.length - this.head;
    this.m.queued.set(depth);
    if (depth === 0) return;
    const batch: Batch = { changed: [], events: [], outgoing: [] };
    const deadline = performance.now() + sliceMs;
    let n = 0;
    let oldest = 0;
    while (this.head < this.queue.length) {
      const q = this.queue[this.head];
      this.queue[this.head++] = undefined;
      if (!q) continue;
      if (n === 0) oldest = q.at;
      n++;
      this.analyse(q, batch);
      if ((n & 7) === 0 && performance.now() >= deadline) break;
    }
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head > 4096 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    try {
      this.flush(batch);
    } catch (err) {
      this.m.engineErrors.inc();
      this.log.error({ err }, 'analysis could not persist a batch of warnings');
    }
    const now = this.clock.now();
    const rest = this.queue.length - this.head;
    this.m.batch.observe(n);
    this.m.queued.set(rest);
    const waited = n > 0 ? now - oldest : 0;
    this.maxWaitMs = Math.max(this.maxWaitMs, waited);
    if (n > 0 && waited > BEHIND_MS && now - this.lastBehindLog > 60_000) {
      this.lastBehindLog = now;
      this.log.warn(
        { waitedMs: waited, queued: rest, batch: n, dropped: this.dropped },
        'analysis is behind the fleet (queue wait above 1 s; see sawbrain_analysis_queue_wait_seconds)',
      );
    }
    if (rest === 0 && this.tickPending && this.timer) this.tickOrDefer();
    if (rest > 0 && !this.scheduled && sliceMs !== Number.POSITIVE_INFINITY) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        this.drain(SLICE_MS);
      });
    }
  }

  /** One message: validated against the standard, then analysed; nothing here may throw. */
  private analyse(q: Queued, batch: Batch): void {
    const { address, result } = validateTopicPayload(q.topic, q.payload);
    if (!address || !result.ok) {
      this.m.invalid.labels(result.ok ? 'topic' : result.reason).inc();
      return;
    }
    this.m.messages.labels(result.kind).inc();
    const now = this.clock.now();
    try {
      this.collect(
        this.engine!.handle(address, { kind: result.kind, payload: result.payload } as never, now),
        batch,
      );
    } catch (err) {
      this.m.engineErrors.inc();
      this.log.error({ err, topic: q.topic }, 'analysis failed on a message; skipped');
    }
    const done = this.clock.now();
    this.m.queueWait.observe(Math.max(0, done - q.at) / 1000);
    const ts = (result.payload as { ts?: unknown }).ts;
    if (typeof ts === 'number') this.m.deviceLag.observe(Math.max(0, done - ts) / 1000);
  }

  /** Persists, publishes and records what the engine produced (a tick or an operator action). */
  private apply(out: EngineOutput): void {
    const batch: Batch = { changed: [], events: [], outgoing: [] };
    this.collect(out, batch);
    this.flush(batch);
  }

  /** Adds an engine output to a batch: failures counted, warnings serialised in their state now. */
  private collect(out: EngineOutput, batch: Batch): void {
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
    for (const r of out.changed) batch.changed.push(r);
    for (const e of out.events) {
      batch.events.push(e);
      this.m.warnings.labels(e.type, e.action).inc();
    }
    for (const r of out.publish) {
      const { topic, payload } = toWarningMessage(r, {
        ts: this.clock.now(),
        bootId: this.bootId,
        seq: this.seq++,
      });
      batch.outgoing.push({ topic, payload: JSON.stringify(payload) });
    }
  }

  /** One SQLite transaction, then the warnings to the machines, then one history write. */
  private flush(batch: Batch): void {
    if (batch.changed.length === 0 && batch.events.length === 0) return;
    this.db?.save(batch.changed, batch.events);
    for (const o of batch.outgoing) this.send(o.topic, o.payload);
    this.m.open.set(this.engine?.warnings().length ?? 0);
    this.record(batch.events);
  }

  private send(topic: string, payload: string): void {
    const link = this.link;
    if (!link) return;
    link.publish(topic, payload).then(
      () => this.m.published.inc(),
      (err: unknown) => this.log.warn({ err: (err as Error).message, topic }, 'warning publish failed'),
    );
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

  /** What the analysis has learned, for the databases (see learned-state.ts). */
  learnedState() {
    const { engine, db } = this.need();
    return learnedState(engine, db, [...this.deps.seeds.rules, ...(this.deps.rules ?? [])]);
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
      transport: this.link?.kind ?? this.deps.transport.kind,
      queued: this.queue.length - this.head,
      /** the longest a message waited in the queue since start, ms */
      maxQueueWaitMs: this.maxWaitMs,
      dropped: this.dropped,
      machines: e?.machineIds().length ?? 0,
      open: e?.warnings().length ?? 0,
      floodLimited: e?.floodLimited ?? 0,
      ruleFailures: Object.fromEntries(e?.failureCounts ?? []),
    };
  }
}
