import type { Command } from 'commander';
import { isSawBrainError } from '../core/errors.js';
import type { MachineRegistry } from './registry.js';
import type { Machine, PrincipalRecord, ServiceScope } from './types.js';

/**
 * `sawbrain machine|gateway|service …`: provisioning from the command line. Credentials are
 * printed exactly once (the registry keeps only the hash); `--json` gives machine-readable output.
 */

const NOTICE = 'store this now, it is not shown again';

function write(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

function writeJson(value: unknown): void {
  write(JSON.stringify(value, null, 2));
}

function iso(ms: number | null): string {
  return ms === null ? '' : new Date(ms).toISOString();
}

/** `--machines a,b --machines c` and `--machines a b` both give [a, b, c]. */
function splitList(values: readonly string[] | undefined): string[] {
  return (values ?? [])
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v.length > 0);
}

function credentialsText(what: string, username: string, password: string): string {
  return [`${what}`, `  username: ${username}`, `  password: ${password}`, `>>> ${NOTICE} <<<`].join('\n');
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

function machineRow(m: Machine): string[] {
  return [
    m.machineId,
    m.tenant,
    m.plant,
    m.site,
    m.region,
    m.industry,
    m.model,
    m.serial,
    m.revokedAt === null ? 'active' : `revoked ${iso(m.revokedAt)}`,
  ];
}

function principalJson(p: PrincipalRecord): Record<string, unknown> {
  return {
    ...p,
    createdAt: iso(p.createdAt),
    rotatedAt: p.rotatedAt === null ? null : iso(p.rotatedAt),
    revokedAt: p.revokedAt === null ? null : iso(p.revokedAt),
  };
}

function machineJson(m: Machine): Record<string, unknown> {
  return { ...m, createdAt: iso(m.createdAt), revokedAt: m.revokedAt === null ? null : iso(m.revokedAt) };
}

interface JsonFlag {
  json?: boolean;
}

export function registerRegistryCommands(program: Command, openRegistry: () => MachineRegistry): void {
  /** Opens the registry for one action, closes it after, and turns SawBrainErrors into CLI errors. */
  const run =
    <A extends unknown[]>(fn: (registry: MachineRegistry, ...args: A) => Promise<void> | void) =>
    async (...args: A): Promise<void> => {
      const cmd = args[args.length - 1] as Command;
      let registry: MachineRegistry | undefined;
      try {
        registry = openRegistry();
        await fn(registry, ...args);
      } catch (err) {
        if (isSawBrainError(err)) cmd.error(`error: ${err.message}`, { exitCode: 1, code: err.code });
        throw err;
      } finally {
        registry?.close();
      }
    };

  // ------------------------------------------------------------- machine
  const machine = program.command('machine').description('provision and manage machines');

  machine
    .command('add')
    .description('register a machine and print its MQTT credentials (once)')
    .requiredOption('--id <machineId>', 'machine id (also its MQTT username and client id)')
    .requiredOption('--tenant <tenant>', 'manufacturer slug')
    .requiredOption('--plant <plant>', 'plant')
    .requiredOption('--site <site>', 'site')
    .requiredOption('--region <region>', 'region')
    .requiredOption('--industry <industry>', 'industry')
    .requiredOption('--model <model>', 'saw model')
    .requiredOption('--serial <serial>', 'serial number')
    .option('--json', 'machine-readable output')
    .action(
      run(
        async (
          registry,
          o: JsonFlag &
            Record<'id' | 'tenant' | 'plant' | 'site' | 'region' | 'industry' | 'model' | 'serial', string>,
        ) => {
          const result = await registry.addMachine({
            machineId: o.id,
            tenant: o.tenant,
            plant: o.plant,
            site: o.site,
            region: o.region,
            industry: o.industry,
            model: o.model,
            serial: o.serial,
          });
          if (o.json) {
            writeJson({
              machine: machineJson(result.machine),
              username: result.username,
              password: result.password,
              notice: NOTICE,
            });
          } else {
            write(
              credentialsText(
                `machine ${result.machine.machineId} (tenant ${result.machine.tenant}) registered`,
                result.username,
                result.password,
              ),
            );
          }
        },
      ),
    );

  machine
    .command('list')
    .description('list machines')
    .option('--tenant <tenant>', 'only this tenant')
    .option('--plant <plant>', 'only this plant')
    .option('--active', 'hide revoked machines')
    .option('--json', 'machine-readable output')
    .action(
      run((registry, o: JsonFlag & { tenant?: string; plant?: string; active?: boolean }) => {
        const machines = registry.list({
          ...(o.tenant ? { tenant: o.tenant } : {}),
          ...(o.plant ? { plant: o.plant } : {}),
          includeRevoked: !o.active,
        });
        if (o.json) return writeJson(machines.map(machineJson));
        if (machines.length === 0) return write('no machines');
        write(
          table(
            ['MACHINE', 'TENANT', 'PLANT', 'SITE', 'REGION', 'INDUSTRY', 'MODEL', 'SERIAL', 'STATUS'],
            machines.map(machineRow),
          ),
        );
      }),
    );

  machine
    .command('rotate <machineId>')
    .description('issue a new password; the old one stops working and live sessions are dropped')
    .option('--json', 'machine-readable output')
    .action(
      run(async (registry, id: string, o: JsonFlag) => {
        const password = await registry.rotate(id);
        if (o.json) writeJson({ username: id, password, notice: NOTICE });
        else write(credentialsText(`machine ${id}: new password issued`, id, password));
      }),
    );

  machine
    .command('revoke <machineId>')
    .description('revoke a machine for good; live sessions are dropped')
    .option('--json', 'machine-readable output')
    .action(
      run((registry, id: string, o: JsonFlag) => {
        const changed = registry.revoke(id);
        if (o.json) writeJson({ machineId: id, revoked: true, changed });
        else write(changed ? `machine ${id} revoked` : `machine ${id} was already revoked`);
      }),
    );

  // -------------------------------------------------- gateways & services
  const principalCommands = (group: Command, kind: 'gateway' | 'service') => {
    group
      .command('rotate <name>')
      .description(`issue a new password for a ${kind}`)
      .option('--json', 'machine-readable output')
      .action(
        run(async (registry, name: string, o: JsonFlag) => {
          const p = registry.getPrincipal(name);
          if (!p || p.kind !== kind) group.error(`error: no ${kind} ${name}`, { exitCode: 1 });
          const password = await registry.rotatePrincipal(name);
          if (o.json) writeJson({ username: name, password, notice: NOTICE });
          else write(credentialsText(`${kind} ${name}: new password issued`, name, password));
        }),
      );
    group
      .command('revoke <name>')
      .description(`revoke a ${kind} for good`)
      .option('--json', 'machine-readable output')
      .action(
        run((registry, name: string, o: JsonFlag) => {
          const p = registry.getPrincipal(name);
          if (!p || p.kind !== kind) group.error(`error: no ${kind} ${name}`, { exitCode: 1 });
          const changed = registry.revokePrincipal(name);
          if (o.json) writeJson({ username: name, revoked: true, changed });
          else write(changed ? `${kind} ${name} revoked` : `${kind} ${name} was already revoked`);
        }),
      );
    group
      .command('list')
      .description(`list ${kind}s`)
      .option('--json', 'machine-readable output')
      .action(
        run((registry, o: JsonFlag) => {
          const rows = registry.listPrincipals(kind);
          if (o.json) return writeJson(rows.map(principalJson));
          if (rows.length === 0) return write(`no ${kind}s`);
          write(
            table(
              [
                'NAME',
                kind === 'gateway' ? 'TENANT' : 'SCOPES',
                kind === 'gateway' ? 'MACHINES' : '',
                'STATUS',
              ],
              rows.map((p) => [
                p.username,
                kind === 'gateway' ? (p.tenant ?? '') : p.scopes.join(','),
                kind === 'gateway' ? p.machines.join(',') : '',
                p.revokedAt === null ? 'active' : `revoked ${iso(p.revokedAt)}`,
              ]),
            ),
          );
        }),
      );
  };

  const gateway = program.command('gateway').description('edge gateways that speak for several machines');
  gateway
    .command('add <id>')
    .description('register a gateway and print its MQTT credentials (once)')
    .requiredOption('--tenant <tenant>', 'manufacturer slug (all its machines belong to it)')
    .requiredOption('--machines <ids...>', 'machine ids it may speak for (space or comma separated)')
    .option('--json', 'machine-readable output')
    .action(
      run(async (registry, id: string, o: JsonFlag & { tenant: string; machines: string[] }) => {
        const result = await registry.addGateway(id, o.tenant, splitList(o.machines));
        if (o.json) {
          writeJson({
            principal: principalJson(result.principal),
            username: result.username,
            password: result.password,
            notice: NOTICE,
          });
        } else {
          write(
            credentialsText(
              `gateway ${id} (tenant ${o.tenant}; machines ${result.principal.machines.join(', ')}) registered`,
              result.username,
              result.password,
            ),
          );
        }
      }),
    );
  principalCommands(gateway, 'gateway');

  const service = program.command('service').description('backend services connecting to the broker');
  service
    .command('add <name>')
    .description('register a service and print its MQTT credentials (once)')
    .requiredOption('--scope <scopes...>', 'ingest | analysis | commander | admin (repeatable)')
    .option('--json', 'machine-readable output')
    .action(
      run(async (registry, name: string, o: JsonFlag & { scope: string[] }) => {
        const result = await registry.addService(name, splitList(o.scope) as ServiceScope[]);
        if (o.json) {
          writeJson({
            principal: principalJson(result.principal),
            username: result.username,
            password: result.password,
            notice: NOTICE,
          });
        } else {
          write(
            credentialsText(
              `service ${name} (scopes ${result.principal.scopes.join(', ')}) registered`,
              result.username,
              result.password,
            ),
          );
        }
      }),
    );
  principalCommands(service, 'service');
}
