import { createRequire } from 'node:module';
import type { ModbusRTU } from 'modbus-serial/ModbusRTU.js';
import type { Sample } from '../../../services/contracts/index.js';
import type { TelemetryVariable } from '../../../services/contracts/variables.js';
import type { Logger } from '../../../services/core/logger.js';
import { decodeStatus, type StatusKey } from '../status.js';
import type { ControllerAdapter, ControllerReading, ControllerStatus, WriteTarget } from '../types.js';
import type { ModbusAdapterConfig } from './config.js';
import type { ModbusMap, RegisterRef } from './map-schema.js';
import { resolveMap } from './maps.js';
import {
  emptyImage,
  planReads,
  type ReadBlock,
  type RegisterImage,
  registerValue,
  storeBlock,
} from './plan.js';
import { encodeRegisters, toRaw } from './registers.js';

/** modbus-serial is CommonJS whose typings declare a default export it does not have: load it plainly. */
const ModbusClient = createRequire(import.meta.url)('modbus-serial') as typeof ModbusRTU;

/**
 * Modbus TCP controller (modbus-serial client): reads the map's registers in planned blocks,
 * decodes and scales them to the standard's units; writes command registers (FC6/FC16, a flag
 * bit by read-modify-write). Requests are serialised: one outstanding request per controller.
 */
export class ModbusAdapter implements ControllerAdapter {
  readonly protocol = 'modbus';
  readonly capabilities: readonly TelemetryVariable[];
  readonly writable: readonly WriteTarget[];
  readonly map: ModbusMap;
  private readonly blocks: ReadBlock[];
  private client: ModbusRTU | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly written = new Map<WriteTarget, number>();

  constructor(
    private readonly cfg: ModbusAdapterConfig,
    private readonly log: Logger,
  ) {
    this.map = resolveMap(cfg.map);
    this.capabilities = Object.keys(this.map.variables) as TelemetryVariable[];
    this.writable = Object.keys(this.map.commands) as WriteTarget[];
    const refs = [...Object.values(this.map.variables), ...Object.values(this.map.status)].filter(
      (r): r is RegisterRef => r !== undefined,
    );
    this.blocks = planReads(refs);
  }

  async connect(): Promise<void> {
    await this.close();
    const client = new ModbusClient();
    client.on('error', (err: unknown) => this.log.debug({ err: String(err) }, 'modbus socket error'));
    await client.connectTCP(this.cfg.host, { port: this.cfg.port, timeout: this.cfg.timeoutMs });
    client.setID(this.cfg.unitId);
    client.setTimeout(this.cfg.timeoutMs);
    this.client = client;
    this.log.info({ host: this.cfg.host, port: this.cfg.port, map: this.map.name }, 'modbus connected');
  }

  read(now: number): Promise<ControllerReading> {
    return this.serial(async (c) => {
      const image = emptyImage();
      for (const block of this.blocks) storeBlock(image, block, await this.readBlock(c, block));
      const sample: Record<string, number> = { ts: now };
      for (const [name, ref] of Object.entries(this.map.variables)) {
        if (ref) sample[name] = registerValue(image, ref, this.map.wordOrder);
      }
      return { samples: [sample as Sample], status: this.status(image) };
    });
  }

  resolution(target: WriteTarget): number {
    const ref = this.command(target);
    return ref.bit !== undefined ? 1 : ref.type === 'f32' ? 0 : Math.abs(ref.scale);
  }

  write(target: WriteTarget, value: number): Promise<void> {
    const ref = this.command(target);
    this.written.set(target, value);
    return this.serial(async (c) => {
      if (ref.bit !== undefined) {
        const [word] = (await c.readHoldingRegisters(ref.address, 1)).data;
        const mask = 1 << ref.bit;
        await c.writeRegister(ref.address, value ? (word ?? 0) | mask : (word ?? 0) & ~mask);
        return;
      }
      const words = encodeRegisters(toRaw(value, ref.scale, ref.offset), ref.type, this.map.wordOrder);
      if (words.length === 1) await c.writeRegister(ref.address, words[0]!);
      else await c.writeRegisters(ref.address, words);
    });
  }

  readBack(target: WriteTarget): Promise<number> {
    const ref = this.command(target);
    const written = this.written.get(target);
    if (!ref.verify && written !== undefined) return Promise.resolve(written);
    return this.serial(async (c) => {
      const image = emptyImage();
      const block: ReadBlock = {
        table: 'holding',
        start: ref.address,
        count: ref.type.endsWith('32') ? 2 : 1,
      };
      storeBlock(image, block, await this.readBlock(c, block));
      return registerValue(image, ref, this.map.wordOrder);
    });
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    await new Promise<void>((resolve) => {
      try {
        client.close(() => resolve());
      } catch {
        resolve();
      }
    });
  }

  private command(target: WriteTarget) {
    const ref = this.map.commands[target];
    if (!ref) throw new RangeError(`map ${this.map.name} has no register for ${target}`);
    return ref;
  }

  /** Runs one exchange at a time; fails fast when not connected. */
  private serial<T>(fn: (c: ModbusRTU) => Promise<T>): Promise<T> {
    const run = async () => {
      const c = this.client;
      if (!c?.isOpen) throw new Error(`modbus ${this.cfg.host}:${this.cfg.port} not connected`);
      return fn(c);
    };
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async readBlock(c: ModbusRTU, block: ReadBlock): Promise<number[]> {
    const res =
      block.table === 'holding'
        ? await c.readHoldingRegisters(block.start, block.count)
        : await c.readInputRegisters(block.start, block.count);
    return res.data;
  }

  private status(image: RegisterImage): ControllerStatus {
    const raw: Partial<Record<StatusKey, number>> = {};
    for (const [key, ref] of Object.entries(this.map.status) as [StatusKey, RegisterRef | undefined][]) {
      if (ref) raw[key] = registerValue(image, ref, this.map.wordOrder);
    }
    return decodeStatus(raw, this.map.modeCodes, this.map.alarmSeverities);
  }
}
