import { createHash, randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Registry } from 'prom-client';
import { type Command, type CommandAck, STANDARD_VERSION, topicFor } from '../contracts/index.js';
import { SawBrainError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { metricFactory } from '../core/metrics.js';
import { type Clock, systemClock } from '../core/ports.js';
import type { ApiIdentity, Machine } from '../registry/index.js';
import type { AuditLog } from './audit.js';
import type { BrokerLink, LinkMessage } from './link.js';
import type { CommandFilter, CommandStore } from './store.js';
import { type CommandRecord, CommandRequest, type CommandStatus, TERMINAL } from './types.js';

export interface CommandServiceDeps {
  store: CommandStore;
  audit: AuditLog;
  link: BrokerLink;
  logger: Logger;
  metrics: Registry;
  /** default and maximum expiry */
  ttlMs: number;
  maxTtlMs: number;
  clock?: Clock;
}

const ACK_TO_STATUS: Record<CommandAck['status'], CommandStatus> = {
  accepted: 'accepted',
  rejected: 'rejected',
  executed: 'done',
  failed: 'failed',
};

/**
 * Two-phase commands to machines and lines. `create` stores the command(s) first (so a replayed
 * idempotency key finds them), then publishes each on its machine's command topic at QoS 1; the
 * machine's (or edge gateway's) `command-ack`s move it on. A timer per command expires it at its
 * expiry if it is not terminal by then — so every command ends done / rejected / failed / expired
 * no later than its expiry, also when the broker or the machine never answers. State lives in
 * SQLite; after a restart open commands get their timers back (or expire at once). Every step is
 * audited. Emits `change` with each new state.
 */
export class CommandService extends EventEmitter<{ change: [CommandRecord] }> {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly bootId = `api-${Date.now().toString(36)}`;
  private seq = 0;
  private readonly onLink = (m: LinkMessage) => {
    if (m.kind === 'command-ack') this.onAck(m.address.machine, m.payload);
  };
  private readonly m;

  constructor(private readonly deps: CommandServiceDeps) {
    super();
    this.log = deps.logger.child({ svc: 'commands' });
    this.clock = deps.clock ?? systemClock;
    const f = metricFactory(deps.metrics);
    this.m = {
      transitions: f.counter('sawbrain_api_commands_total', 'command state changes by type and status', [
        'type',
        'status',
      ]),
      latency: f.histogram(
        'sawbrain_api_command_terminal_seconds',
        'time from creation to a terminal state',
        [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300],
      ),
    };
  }

  start(): void {
    this.deps.link.on('message', this.onLink);
    for (const c of this.deps.store.open()) this.arm(c);
  }

  stop(): void {
    this.deps.link.off('message', this.onLink);
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  get(commandId: string): CommandRecord | null {
    return this.deps.store.get(commandId);
  }

  list(filter: CommandFilter) {
    return this.deps.store.list(filter);
  }

  /**
   * Creates one command per target machine (a line command fans out; all share a group id) and
   * publishes them. A request whose idempotency key this API key used before returns the
   * commands made then (`created: false`) and publishes nothing; the same key with a different
   * request is IDEMPOTENCY_CONFLICT.
   */
  async create(
    targets: readonly Machine[],
    input: CommandRequest,
    actor: ApiIdentity,
    line: string | null = null,
  ): Promise<{ created: boolean; commands: CommandRecord[] }> {
    const req = CommandRequest.parse(input);
    if (targets.length === 0) throw new SawBrainError('NOT_FOUND', 'no active machine to command');
    const fingerprint = createHash('sha256')
      .update(
        JSON.stringify([
          req.type,
          req.params,
          line,
          targets.map((t) => t.machineId).sort(),
          req.ttlMs ?? null,
        ]),
      )
      .digest('hex');
    const before = this.deps.store.byIdempotencyKey(actor.keyId, req.idempotencyKey);
    if (before.records.length > 0) {
      if (before.fingerprint !== fingerprint)
        throw new SawBrainError('IDEMPOTENCY_CONFLICT', `key ${req.idempotencyKey}`);
      return { created: false, commands: before.records };
    }
    const now = this.clock.now();
    const ttl = Math.min(req.ttlMs ?? this.deps.ttlMs, this.deps.maxTtlMs);
    const groupId = line !== null || targets.length > 1 ? `g_${randomUUID()}` : null;
    const records = targets.map((t) => ({
      commandId: `c_${randomUUID()}`,
      groupId,
      tenant: t.tenant,
      machineId: t.machineId,
      plant: t.plant,
      type: req.type,
      params: req.params as Record<string, number>,
      status: 'pending' as const,
      reason: null,
      idempotencyKey: req.idempotencyKey,
      fingerprint,
      issuedBy: actor.keyId,
      issuedByLabel: actor.label,
      createdAt: now,
      expiresAt: now + ttl,
      sentAt: null,
      acceptedAt: null,
      finishedAt: null,
    }));
    try {
      this.deps.store.insert(records);
    } catch (err) {
      // a concurrent request with the same key won the insert
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
        const again = this.deps.store.byIdempotencyKey(actor.keyId, req.idempotencyKey);
        if (again.fingerprint !== fingerprint)
          throw new SawBrainError('IDEMPOTENCY_CONFLICT', `key ${req.idempotencyKey}`);
        return { created: false, commands: again.records };
      }
      throw err;
    }
    const created = records.map(({ fingerprint: _f, ...r }) => r);
    for (const c of created) {
      this.deps.audit.record({
        actor: actor.keyId,
        actorLabel: actor.label,
        role: actor.role,
        action: 'command.create',
        targetKind: 'command',
        targetId: c.commandId,
        tenant: c.tenant,
        plant: c.plant,
        outcome: 'ok',
        details: {
          machineId: c.machineId,
          type: c.type,
          params: c.params,
          expiresAt: c.expiresAt,
          groupId,
          line,
        },
      });
      this.m.transitions.inc({ type: c.type, status: 'pending' });
      this.arm(c);
      this.publish(c);
    }
    return { created: true, commands: created };
  }

  private publish(c: CommandRecord): void {
    const message: Command = {
      v: STANDARD_VERSION,
      ts: this.clock.now(),
      bootId: this.bootId,
      seq: this.seq++,
      commandId: c.commandId,
      type: c.type,
      params: c.params,
      expiresAt: c.expiresAt,
      issuedBy: c.issuedBy,
      machineId: c.machineId,
    };
    this.deps.link
      .publish(topicFor(c.tenant, c.machineId, 'command'), message)
      .then(() => this.move(c.commandId, 'sent', null))
      .catch((err: unknown) => {
        // stays pending; the expiry timer ends it
        this.log.warn({ commandId: c.commandId, err: (err as Error).message }, 'command not published');
      });
  }

  private arm(c: CommandRecord): void {
    const delay = Math.max(0, c.expiresAt - this.clock.now());
    const timer = setTimeout(() => {
      this.timers.delete(c.commandId);
      this.move(c.commandId, 'expired', 'no terminal answer before the expiry');
    }, delay);
    timer.unref();
    this.timers.set(c.commandId, timer);
  }

  private onAck(machine: string, ack: CommandAck): void {
    const c = this.deps.store.get(ack.commandId);
    // a machine can only answer for its own commands (the broker ACL also confines it)
    if (!c || c.machineId !== machine) return;
    const status = ACK_TO_STATUS[ack.status];
    const moved = this.move(c.commandId, status, ack.reason ?? null);
    if (!moved && TERMINAL.has(c.status)) {
      this.deps.audit.record({
        actor: `machine:${machine}`,
        actorLabel: machine,
        role: 'machine',
        action: 'command.late-ack',
        targetKind: 'command',
        targetId: c.commandId,
        tenant: c.tenant,
        plant: c.plant,
        outcome: ack.status,
        details: { finalStatus: c.status, reason: ack.reason ?? null },
      });
    }
  }

  /** One transition: stored, audited, counted, emitted. */
  private move(commandId: string, status: CommandStatus, reason: string | null): CommandRecord | null {
    const at = this.clock.now();
    const next = this.deps.store.transition(commandId, status, at, reason);
    if (!next) return null;
    this.m.transitions.inc({ type: next.type, status });
    if (TERMINAL.has(status)) {
      const t = this.timers.get(commandId);
      if (t) clearTimeout(t);
      this.timers.delete(commandId);
      this.m.latency.observe((at - next.createdAt) / 1000);
    }
    if (status !== 'sent') {
      this.deps.audit.record({
        actor: status === 'expired' ? 'system' : `machine:${next.machineId}`,
        actorLabel: status === 'expired' ? 'expiry timer' : next.machineId,
        role: status === 'expired' ? 'system' : 'machine',
        action: `command.${status}`,
        targetKind: 'command',
        targetId: commandId,
        tenant: next.tenant,
        plant: next.plant,
        outcome: status,
        details: { reason, machineId: next.machineId, type: next.type },
      });
    }
    this.emit('change', next);
    return next;
  }
}
