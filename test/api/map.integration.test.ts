import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/ports.js';
import type { TestSystem } from '../helpers/system.js';
import { addMachines, bootApi, call, type Device, device, type FleetMachine, key, T0 } from './helpers.js';

/**
 * The data brain map, one overview per tier, rendered by dashboards/map in Debian's Chromium
 * (driven by playwright-core) from /api/v1/map: a plant sees its lines and saws, a manufacturer
 * its plants and machines, the innovation complex region → industry → saw type buckets of at
 * least 5 machines with no identifiers.
 */
const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && process.env.CI === 'true') throw new Error(`${CHROMIUM} is missing (CI installs it)`);

const spec = (
  machineId: string,
  tenant: string,
  plant: string,
  site: string,
  region: string,
  industry: string,
) => ({
  machineId,
  tenant,
  plant,
  site,
  region,
  industry,
  model: tenant === 'chenlong' ? 'chenlong-gz4235' : 'julihuang-gz42100',
});

describe.skipIf(!haveChromium)('data brain map per tier (Chromium)', () => {
  let t: TestSystem;
  let browser: Browser;
  let fleet: FleetMachine[];
  const devices: Device[] = [];
  let base: string;

  beforeAll(async () => {
    t = await bootApi();
    base = t.sys.urls.http!.replace('localhost', '127.0.0.1');
    fleet = await addMachines(t.sys, [
      ...[1, 2, 3, 4, 5, 6].map((i) =>
        spec(
          `CL-MAP-${i}`,
          'chenlong',
          'ningbo-autoparts',
          i <= 3 ? 'hall-1' : 'hall-2',
          'cn-zhejiang',
          'automotive-parts',
        ),
      ),
      ...[1, 2].map((i) =>
        spec(`CL-MAP-D${i}`, 'chenlong', 'dongguan-mould', 'hall-1', 'cn-guangdong', 'mould-die'),
      ),
      ...[1, 2, 3, 4, 5, 6].map((i) =>
        spec(`JL-MAP-${i}`, 'julihuang', 'kunshan-mould', 'hall-1', 'cn-jiangsu', 'mould-die'),
      ),
    ]);
    // two saws report (one overloaded → a critical warning), the rest have not said anything yet
    for (const id of ['CL-MAP-1', 'CL-MAP-4'])
      devices.push(await device(t.mqttUrl, fleet.find((m) => m.machineId === id)!));
    await devices[0]!.overload(T0 + 1000);
    await waitFor(() => t.sys.analysis!.list({ machine: 'CL-MAP-1', open: true })[0], 20_000);
    const admin = key(t.sys, 'admin');
    await waitFor(
      async () => (await call(t.sys, admin, 'GET', '/api/v1/machines/CL-MAP-4')).json.state === 'running',
    );
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--headless=new'] });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    for (const d of devices) await d.close();
    await t?.close();
  });

  async function mapPage(apiKey: string) {
    const page = await browser.newPage();
    await page.goto(`${base}/map`);
    await page.fill('#key', apiKey);
    await page.click('button[type=submit]');
    await page.waitForSelector('[data-node="root"]', { timeout: 10_000 });
    const nodes = await page.$$eval('[data-node]', (els) =>
      els.map((e) => ({
        id: e.getAttribute('data-node')!,
        kind: e.getAttribute('data-kind')!,
        status: e.getAttribute('data-status')!,
        text: (e as unknown as { innerText: string }).innerText,
      })),
    );
    const text = await page.innerText('body');
    await page.close();
    return { nodes, text };
  }

  it('plant: its lines and saws, with health rolled up', async () => {
    const { nodes, text } = await mapPage(key(t.sys, 'plant', { plant: 'ningbo-autoparts' }));
    expect(nodes.filter((n) => n.kind === 'line').map((n) => n.id)).toEqual(['root/hall-1', 'root/hall-2']);
    expect(nodes.filter((n) => n.kind === 'machine')).toHaveLength(6);
    expect(nodes.find((n) => n.id === 'root/hall-1/CL-MAP-1')!.status).toBe('critical');
    expect(nodes.find((n) => n.id === 'root/hall-1')!.status).toBe('critical');
    expect(nodes.find((n) => n.id === 'root/hall-2/CL-MAP-4')!.status).toBe('ok');
    expect(nodes.find((n) => n.id === 'root')!.text).toContain('6 machines');
    expect(text).not.toContain('JL-MAP');
    expect(text).not.toContain('dongguan');
  });

  it('manufacturer: plant → machine tree of its installed base only', async () => {
    const { nodes, text } = await mapPage(key(t.sys, 'manufacturer', { tenant: 'chenlong' }));
    expect(nodes.filter((n) => n.kind === 'plant').map((n) => n.id)).toEqual([
      'root/dongguan-mould',
      'root/ningbo-autoparts',
    ]);
    expect(nodes.filter((n) => n.kind === 'machine')).toHaveLength(8);
    expect(nodes.find((n) => n.id === 'root/ningbo-autoparts')!.status).toBe('critical');
    expect(text).not.toContain('JL-MAP');
    expect(text).not.toContain('kunshan');
  });

  it('innovation: region → industry → saw type, no identifiers, no bucket below 5', async () => {
    const k = key(t.sys, 'innovation');
    const { nodes, text } = await mapPage(k);
    expect(nodes.some((n) => n.kind === 'machine')).toBe(false);
    expect(nodes.filter((n) => n.kind === 'region').length).toBeGreaterThan(0);
    for (const id of [
      ...fleet.flatMap((m) => [m.machineId, m.serial, m.plant]),
      'chenlong',
      'julihuang',
      'Chenlong',
      'Julihuang',
    ])
      expect(text).not.toContain(id);
    const body = (await call(t.sys, k, 'GET', '/api/v1/map')).json;
    expect(body.minBucket).toBe(5);
    for (const n of body.nodes) expect(n.machines).toBeGreaterThanOrEqual(5);
    // 14 machines: guangdong's 2 are merged with another region into "other", nothing is lost
    expect(body.nodes.find((n: { id: string }) => n.id === 'root').machines).toBe(14);
    const regions = body.nodes.filter((n: { kind: string }) => n.kind === 'region');
    expect(regions.reduce((a: number, n: { machines: number }) => a + n.machines, 0)).toBe(14);
    expect(regions.map((n: { label: string }) => n.label)).toContain('other');
  });

  it('refuses a bad key in the page', async () => {
    const page = await browser.newPage();
    await page.goto(`${base}/map`);
    await page.fill('#key', 'sbk_wrong_wrong_wrong_wrong_wrong_wrong');
    await page.click('button[type=submit]');
    await page.waitForFunction("document.getElementById('error').textContent.includes('UNAUTHENTICATED')");
    await page.close();
  });
});
