import { type Socket, connect as tcpConnect } from 'node:net';
import mqttPacket from 'mqtt-packet';

/**
 * A lean MQTT 3.1.1 publisher for the load generator: one TCP connection, CONNECT written by
 * mqtt-packet, PUBLISH packets laid out by hand straight into one buffer (fixed header, topic,
 * packet id, payload), acknowledgements read by mqtt-packet's parser. It is a real MQTT client —
 * the broker authenticates it, applies its ACL and acknowledges its QoS 1 publishes — without
 * mqtt.js's per-message store, events and promise chains. Why: on one 2-core machine every
 * microsecond the generator spends is taken from the system under test (mqtt.js cost ≈ 100 µs
 * of CPU per 10-sample message here; this client a fraction of that, see docs/benchmarks.md).
 *
 * Keep-alive by a PINGREQ every half period, no reconnect, no QoS 2: a bench tool, not a device
 * library — devices use mqtt.js (edge/) or their own stack.
 */
export interface LeanOptions {
  url: string;
  clientId: string;
  username: string;
  password: string;
  connectTimeoutMs?: number;
  /** seconds (default 60; SawBrain's broker refuses 0 and values above its limit) */
  keepalive?: number;
}

const PINGREQ = Buffer.from([0xc0, 0x00]);

const MAX_PACKET_ID = 0xffff;

interface Waiter {
  resolve: () => void;
  reject: (err: Error) => void;
}

export class LeanPublisher {
  private readonly pending = new Map<number, Waiter>();
  private nextId = 1;
  private closed: Error | null = null;
  private drainWaiters: Waiter[] = [];
  private pinger: NodeJS.Timeout | null = null;

  private constructor(private readonly socket: Socket) {
    socket.on('drain', () => {
      const ws = this.drainWaiters;
      this.drainWaiters = [];
      for (const w of ws) w.resolve();
    });
  }

  static connect(opts: LeanOptions): Promise<LeanPublisher> {
    const u = new URL(opts.url);
    const socket = tcpConnect({ host: u.hostname, port: Number(u.port || 1883) });
    socket.setNoDelay(true);
    const client = new LeanPublisher(socket);
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => fail(new Error(`connect timeout after ${opts.connectTimeoutMs ?? 60_000} ms`)),
        opts.connectTimeoutMs ?? 60_000,
      );
      const fail = (err: Error) => {
        clearTimeout(timer);
        client.close(err);
        reject(err);
      };
      const keepalive = opts.keepalive ?? 60;
      parser.on('packet', (p) => {
        if (p.cmd === 'puback') client.acked(p.messageId ?? 0);
        else if (p.cmd === 'connack') {
          clearTimeout(timer);
          if (p.returnCode !== 0) return fail(new Error(`connection refused (return code ${p.returnCode})`));
          client.pinger = setInterval(() => socket.write(PINGREQ), (keepalive * 1000) / 2);
          client.pinger.unref();
          resolve(client);
        }
      });
      parser.on('error', (err) => fail(err));
      socket.on('data', (chunk) => parser.parse(chunk));
      socket.on('error', (err) => fail(err));
      socket.on('close', () => client.close(new Error('connection closed')));
      socket.write(
        mqttPacket.generate({
          cmd: 'connect',
          protocolId: 'MQTT',
          protocolVersion: 4,
          clean: true,
          clientId: opts.clientId,
          keepalive,
          username: opts.username,
          password: Buffer.from(opts.password),
        }),
      );
    });
  }

  /**
   * Publishes one message. QoS 1 resolves on the broker's PUBACK; QoS 0 once the socket took
   * the bytes (after a `drain` when its buffer is full, so a fast loop cannot run away).
   */
  publish(topic: Buffer, payload: string, qos: 0 | 1): Promise<void> {
    if (this.closed) return Promise.reject(this.closed);
    const payloadLen = Buffer.byteLength(payload);
    const remaining = 2 + topic.length + (qos ? 2 : 0) + payloadLen;
    const lenBytes = remaining < 128 ? 1 : remaining < 16_384 ? 2 : remaining < 2_097_152 ? 3 : 4;
    const buf = Buffer.allocUnsafe(1 + lenBytes + remaining);
    buf[0] = 0x30 | (qos << 1);
    let o = 1;
    let r = remaining;
    do {
      let byte = r % 128;
      r = Math.floor(r / 128);
      if (r > 0) byte |= 0x80;
      buf[o++] = byte;
    } while (r > 0);
    buf.writeUInt16BE(topic.length, o);
    o += 2;
    topic.copy(buf, o);
    o += topic.length;
    let id = 0;
    if (qos) {
      id = this.takeId();
      buf.writeUInt16BE(id, o);
      o += 2;
    }
    buf.write(payload, o, 'utf8');
    const flushed = this.socket.write(buf);
    if (qos) return new Promise((resolve, reject) => this.pending.set(id, { resolve, reject }));
    if (flushed) return Promise.resolve();
    return new Promise((resolve, reject) => this.drainWaiters.push({ resolve, reject }));
  }

  get inflight(): number {
    return this.pending.size;
  }

  end(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      this.socket.end(mqttPacket.generate({ cmd: 'disconnect' }), () => {
        this.close(new Error('client ended'));
        resolve();
      });
    });
  }

  private takeId(): number {
    // Skip ids still in flight (only possible with more than 65,535 outstanding publishes).
    for (let tries = 0; tries <= MAX_PACKET_ID; tries++) {
      const id = this.nextId;
      this.nextId = id === MAX_PACKET_ID ? 1 : id + 1;
      if (!this.pending.has(id)) return id;
    }
    throw new Error('no free packet id');
  }

  private acked(id: number): void {
    const done = this.pending.get(id);
    if (!done) return;
    this.pending.delete(id);
    done.resolve();
  }

  private close(err: Error): void {
    if (this.closed) return;
    this.closed = err;
    if (this.pinger) clearInterval(this.pinger);
    // Outstanding publishes were not acknowledged: they fail and are not counted.
    const waiting = [...this.pending.values(), ...this.drainWaiters];
    this.pending.clear();
    this.drainWaiters = [];
    for (const w of waiting) w.reject(err);
    this.socket.destroy();
  }
}
