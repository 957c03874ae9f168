import type { MachineRegistry, ServiceScope } from '../registry/index.js';

/**
 * Makes sure a service account exists and returns a password for it: the given one (a secret
 * handed to both sides, e.g. by docker compose) or a freshly rotated one (embedded mode, where
 * both sides live in this process). Only the scrypt hash is stored.
 */
export async function ensureServicePassword(
  registry: MachineRegistry,
  name: string,
  scopes: ServiceScope[],
  password?: string,
): Promise<string> {
  const existing = registry.getPrincipal(name);
  if (!existing || existing.revokedAt !== null) {
    if (existing) throw new Error(`service account ${name} is revoked; choose another name`);
    const created = await registry.addService(name, scopes);
    if (!password) return created.password;
  }
  if (password) {
    await registry.setPassword(name, password);
    return password;
  }
  return registry.rotatePrincipal(name);
}
