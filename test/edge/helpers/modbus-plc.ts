import { createRequire } from 'node:module';
import type { ServerTCP as ServerTCPType } from 'modbus-serial/ServerTCP.js';
import type { RegisterRef } from '../../../edge/adapters/modbus/map-schema.js';
import { encodeRegisters, toRaw, type WordOrder } from '../../../edge/adapters/modbus/registers.js';
import { freePort } from '../../helpers/ports.js';

const { ServerTCP } = createRequire(import.meta.url)('modbus-serial') as { ServerTCP: typeof ServerTCPType };

/**
 * A saw PLC stand-in: modbus-serial's ServerTCP on loopback over two 65,536-register banks.
 * `set` writes an engineering value the way the map says the PLC stores it.
 */
export class ModbusPlc {
  readonly holding = new Uint16Array(65_536);
  readonly input = new Uint16Array(65_536);
  /** register writes received (FC6/FC16), in order */
  readonly writes: { address: number; value: number }[] = [];
  private server: ServerTCPType | undefined;
  port = 0;
  /** the PLC program's answer to a write: the value it keeps (default: as written) */
  onWrite: (address: number, value: number) => number = (_a, v) => v;

  /** starts on a free port, or on the port it had (a PLC coming back after a power cycle) */
  async start(samePort = false): Promise<void> {
    if (!samePort || this.port === 0) this.port = await freePort();
    const bank = (t: Uint16Array) => (addr: number) => t[addr] ?? 0;
    const server = new ServerTCP(
      {
        getHoldingRegister: bank(this.holding),
        getInputRegister: bank(this.input),
        getMultipleHoldingRegisters: (addr: number, len: number) =>
          Array.from(this.holding.subarray(addr, addr + len)),
        getMultipleInputRegisters: (addr: number, len: number) =>
          Array.from(this.input.subarray(addr, addr + len)),
        setRegister: (addr: number, value: number) => {
          this.writes.push({ address: addr, value });
          this.holding[addr] = this.onWrite(addr, value);
        },
      },
      { host: '127.0.0.1', port: this.port, unitID: 1 },
    );
    server.on('socketError', () => {});
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.on('initialized', () => resolve());
      server.on('serverError', reject);
    });
  }

  set(ref: RegisterRef, value: number, order: WordOrder): void {
    const bank = ref.table === 'input' ? this.input : this.holding;
    if (ref.bit !== undefined) {
      const mask = 1 << ref.bit;
      bank[ref.address] = value ? bank[ref.address]! | mask : bank[ref.address]! & ~mask;
      return;
    }
    encodeRegisters(toRaw(value, ref.scale, ref.offset), ref.type, order).forEach((w, i) => {
      bank[ref.address + i] = w;
    });
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    for (const sock of server.socks.keys()) sock.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
