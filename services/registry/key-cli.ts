import type { Command } from 'commander';
import { isSawBrainError } from '../core/errors.js';
import { type ApiKeyRecord, type ApiKeyStore, type ApiRole, ApiRole as RoleSchema } from './api-keys.js';

/**
 * `sawbrain key add|list|revoke`: API keys from the command line. This is how the first admin
 * key of a fresh install is made (`sawbrain key add --role admin --label ops`); the key is
 * printed exactly once.
 */
const NOTICE = 'store this now, it is not shown again';

function write(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

function recordJson(r: ApiKeyRecord): Record<string, unknown> {
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return {
    ...r,
    createdAt: iso(r.createdAt),
    revokedAt: iso(r.revokedAt),
    lastUsedAt: iso(r.lastUsedAt),
  };
}

export function registerKeyCommands(program: Command, openKeys: () => ApiKeyStore): void {
  const run =
    <A extends unknown[]>(fn: (keys: ApiKeyStore, ...args: A) => void) =>
    (...args: A): void => {
      const cmd = args[args.length - 1] as Command;
      let keys: ApiKeyStore | undefined;
      try {
        keys = openKeys();
        fn(keys, ...args);
      } catch (err) {
        if (isSawBrainError(err)) cmd.error(`error: ${err.message}`, { exitCode: 1, code: err.code });
        throw err;
      } finally {
        keys?.close();
      }
    };

  const key = program.command('key').description('API keys of the HTTP API (see docs/api.md)');

  key
    .command('add')
    .description('create an API key and print it (once)')
    .requiredOption('--role <role>', 'admin | manufacturer | plant | innovation')
    .requiredOption('--label <label>', 'who holds the key')
    .option('--tenant <tenant>', 'manufacturer keys: the tenant (manufacturer slug)')
    .option('--plant <plant>', 'plant keys: the plant id')
    .option('--json', 'machine-readable output')
    .action(
      run((keys, o: { role: string; label: string; tenant?: string; plant?: string; json?: boolean }) => {
        const role = RoleSchema.parse(o.role) as ApiRole;
        const created = keys.create(
          {
            role,
            label: o.label,
            ...(o.tenant ? { tenant: o.tenant } : {}),
            ...(o.plant ? { plant: o.plant } : {}),
          },
          'cli',
        );
        const { key: secret, ...record } = created;
        if (o.json) write(JSON.stringify({ ...recordJson(record), key: secret, notice: NOTICE }, null, 2));
        else
          write(
            [
              `API key ${record.keyId} (${role}${record.tenant ? ` of ${record.tenant}` : ''}${record.plant ? ` of plant ${record.plant}` : ''}) created`,
              `  key: ${secret}`,
              `  use: curl -H 'Authorization: Bearer ${secret}' http://localhost:8080/api/v1/me`,
              `>>> ${NOTICE} <<<`,
            ].join('\n'),
          );
      }),
    );

  key
    .command('list')
    .description('list API keys (never their secrets)')
    .option('--json', 'machine-readable output')
    .action(
      run((keys, o: { json?: boolean }) => {
        const rows = keys.list();
        if (o.json) return write(JSON.stringify(rows.map(recordJson), null, 2));
        if (rows.length === 0) return write('no API keys');
        for (const r of rows)
          write(
            [
              r.keyId,
              r.role,
              r.tenant ?? r.plant ?? '-',
              r.label,
              r.revokedAt === null ? 'active' : `revoked ${new Date(r.revokedAt).toISOString()}`,
            ].join('  '),
          );
      }),
    );

  key
    .command('revoke <keyId>')
    .description('revoke an API key; the next request with it is refused')
    .action(
      run((keys, keyId: string) => {
        write(keys.revoke(keyId) ? `API key ${keyId} revoked` : `API key ${keyId} was already revoked`);
      }),
    );
}
