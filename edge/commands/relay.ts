import { Command, parseTopic, topicFor, validateRaw } from '../../services/contracts/index.js';
import type { Logger } from '../../services/core/logger.js';
import { readBackMatches } from '../adapters/types.js';
import type { InterlockConfig } from '../config.js';
import type { ControllerRunner } from '../controller.js';
import type { EdgeMetrics } from '../metrics.js';
import type { MachineStream } from '../outbox/stream.js';
import { checkCommand } from './interlocks.js';

export interface RelayTarget {
  runner: ControllerRunner;
  stream: MachineStream;
  interlocks: InterlockConfig;
  /** default staleness limit of the live state */
  staleMs: number;
}

type AckStatus = 'accepted' | 'rejected' | 'executed' | 'failed';

const REMEMBERED = 1000;

/**
 * Commands from the broker to the controllers: validated against the standard, checked by the
 * interlocks against the live controller state, written, read back, and acknowledged upstream
 * on the machine's stream (accepted / rejected with the reason → executed / failed). Commands
 * of one machine run one at a time; a command id seen before (QoS 1 redelivery) is ignored.
 */
export class CommandRelay {
  private readonly seen = new Map<string, Set<string>>();
  private readonly chains = new Map<string, Promise<void>>();
  private readonly log: Logger;

  constructor(
    private readonly o: {
      tenant: string;
      targets: ReadonlyMap<string, RelayTarget>;
      metrics: EdgeMetrics;
      logger: Logger;
      now: () => number;
    },
  ) {
    this.log = o.logger.child({ svc: 'commands' });
  }

  topics(): string[] {
    return [...this.o.targets.keys()].map((m) => topicFor(this.o.tenant, m, 'command'));
  }

  /** Waits for the commands being executed (stop). */
  async idle(): Promise<void> {
    await Promise.all(this.chains.values());
  }

  handle(topic: string, payload: Buffer): void {
    const address = parseTopic(topic);
    if (address?.kind !== 'command' || address.tenant !== this.o.tenant) return;
    const target = this.o.targets.get(address.machine);
    if (!target) return;
    const result = validateRaw('command', payload);
    if (!result.ok) {
      const id = commandIdOf(payload);
      this.log.warn({ machineId: address.machine, problem: result.message }, 'invalid command');
      if (id) this.ack(target, id, 'rejected', `invalid command: ${result.message}`.slice(0, 500));
      return;
    }
    const cmd = Command.parse(result.payload);
    if (this.remember(address.machine, cmd.commandId)) {
      this.log.debug({ commandId: cmd.commandId }, 'duplicate command ignored');
      return;
    }
    const prev = this.chains.get(address.machine) ?? Promise.resolve();
    const next = prev.then(() => this.run(target, cmd));
    this.chains.set(address.machine, next);
  }

  private async run(t: RelayTarget, cmd: Command): Promise<void> {
    const decision = checkCommand(cmd, t.runner.state, {
      machineId: t.runner.machineId,
      now: this.o.now(),
      cfg: t.interlocks,
      staleMs: t.interlocks.staleStateMs ?? t.staleMs,
      writable: t.runner.adapter.writable,
    });
    if (!decision.ok) {
      this.ack(t, cmd.commandId, 'rejected', decision.reason);
      return;
    }
    this.ack(t, cmd.commandId, 'accepted');
    if (!decision.write) {
      t.runner.flush();
      this.ack(t, cmd.commandId, 'executed', 'snapshot sent');
      return;
    }
    const { target, value } = decision.write;
    const adapter = t.runner.adapter;
    try {
      await adapter.write(target, value);
      const back = await adapter.readBack(target);
      if (readBackMatches(value, back, adapter.resolution(target))) {
        this.ack(t, cmd.commandId, 'executed', `${target} = ${back}`);
      } else {
        this.ack(t, cmd.commandId, 'failed', `${target} read back ${back}, expected ${value}`);
      }
    } catch (err) {
      this.ack(t, cmd.commandId, 'failed', `${target}: ${(err as Error).message}`.slice(0, 500));
    }
  }

  private ack(t: RelayTarget, commandId: string, status: AckStatus, reason?: string): void {
    this.o.metrics.commands.inc({ machine: t.runner.machineId, status });
    this.log.info({ machineId: t.runner.machineId, commandId, status, reason }, 'command');
    t.stream.emit('command-ack', {
      ts: Math.round(this.o.now()),
      commandId,
      status,
      ...(reason ? { reason } : {}),
    });
  }

  /** true if the id was seen before */
  private remember(machine: string, id: string): boolean {
    let ids = this.seen.get(machine);
    if (!ids) {
      ids = new Set();
      this.seen.set(machine, ids);
    }
    if (ids.has(id)) return true;
    ids.add(id);
    if (ids.size > REMEMBERED) ids.delete(ids.values().next().value!);
    return false;
  }
}

function commandIdOf(payload: Buffer): string | undefined {
  try {
    const id = (JSON.parse(payload.toString('utf8')) as { commandId?: unknown }).commandId;
    return typeof id === 'string' && id.length > 0 && id.length <= 64 ? id : undefined;
  } catch {
    return undefined;
  }
}
