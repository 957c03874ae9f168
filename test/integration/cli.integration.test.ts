import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topicFor } from '../../services/contracts/index.js';
import { telemetryMessage } from '../helpers/messages.js';
import {
  bootSystem,
  execFileAsync,
  mosquittoPublishLines,
  settle,
  type TestSystem,
} from '../helpers/system.js';

/**
 * The provisioning path a saw maker follows: `sawbrain machine add` (a separate process sharing
 * the registry with the running broker) prints credentials once; an outside client connects
 * with them; `sawbrain machine revoke` cuts it off within 5 s.
 */
const root = join(import.meta.dirname, '../..');
const cli = (dataDir: string, ...args: string[]) =>
  execFileAsync(process.execPath, [join(root, 'bin/sawbrain.js'), ...args], {
    env: { ...process.env, SAWBRAIN_DATA_DIR: dataDir },
  });

describe('sawbrain CLI against a running system', () => {
  let t: TestSystem;
  beforeAll(async () => {
    t = await bootSystem();
  });
  afterAll(async () => t?.close());

  it('adds a machine whose printed credentials work, then revokes it', async () => {
    const { stdout } = await cli(
      t.dataDir,
      ...[
        'machine',
        'add',
        '--id',
        'SANHE-0042',
        '--tenant',
        'sanhe',
        '--plant',
        'Tengzhou Works',
        '--site',
        'Line 3',
      ],
      ...[
        '--region',
        'shandong-zaozhuang',
        '--industry',
        'machinery',
        '--model',
        'sanhe-gb4250',
        '--serial',
        'SH-0042',
        '--json',
      ],
    );
    const creds = JSON.parse(stdout) as { username: string; password: string };
    expect(creds.username).toBe('SANHE-0042');

    const machine = { machineId: creds.username, password: creds.password };
    const topic = topicFor('sanhe', 'SANHE-0042', 'telemetry');
    const t0 = Date.UTC(2026, 10, 4);
    await mosquittoPublishLines(t.port, machine, topic, [
      JSON.stringify(telemetryMessage({ bootId: 'x', seq: 0, t0, n: 5 })),
    ]);
    await settle(t.sys, 1);
    const rows = await t.sys.store!.query({
      db: 'operations',
      measurement: 'telemetry',
      from: t0,
      to: t0 + 60_000,
      where: { machine: 'SANHE-0042' },
    });
    expect(rows).toHaveLength(5);

    // a live subscriber on its own command topic, then revocation from the other process
    const sub = spawn('mosquitto_sub', [
      ...['-h', '127.0.0.1', '-p', String(t.port), '-i', machine.machineId, '-u', machine.machineId],
      ...['-P', machine.password, '-t', topicFor('sanhe', 'SANHE-0042', 'command'), '-q', '1'],
    ]);
    const exited = new Promise<number>((resolve) => sub.on('exit', () => resolve(Date.now())));
    await new Promise((r) => setTimeout(r, 500));
    expect(sub.exitCode).toBeNull();
    const revokedAt = Date.now();
    await cli(t.dataDir, 'machine', 'revoke', 'SANHE-0042');
    const gone = await Promise.race([exited, new Promise<number>((r) => setTimeout(() => r(-1), 8000))]);
    sub.kill();
    expect(gone).toBeGreaterThan(0);
    expect(gone - revokedAt).toBeLessThan(5000);
    await expect(
      mosquittoPublishLines(t.port, machine, topic, [
        JSON.stringify(telemetryMessage({ bootId: 'x', seq: 1, t0, n: 1 })),
      ]),
    ).rejects.toThrow();
  });

  it('validates message files and says why one is invalid', async () => {
    const ok = await cli(
      t.dataDir,
      'validate',
      join(root, 'docs/examples/cut.json'),
      join(root, 'docs/examples/telemetry.json'),
    );
    expect(ok.stdout).toContain('1 valid, 0 invalid');
    const bad = join(t.dataDir, 'capture.jsonl');
    writeFileSync(
      bad,
      [
        JSON.stringify({
          topic: 'sawbrain/v1/sanhe/SANHE-0042/state',
          payload: { v: 1, ts: 1764403200000, bootId: 'b', seq: 1, state: 'idle' },
        }),
        JSON.stringify({
          topic: 'sawbrain/v1/sanhe/SANHE-0042/state',
          payload: { v: 1, ts: 1764403200, bootId: 'b', seq: 2, state: 'idle' },
        }),
      ].join('\n'),
    );
    const failed = await cli(t.dataDir, 'validate', bad).catch((e: { code: number; stdout: string }) => e);
    expect((failed as { code: number }).code).toBe(1);
    expect((failed as { stdout: string }).stdout).toMatch(
      /1 valid, 1 invalid[\s\S]*ts: timestamp must be epoch milliseconds/,
    );
  });
});
