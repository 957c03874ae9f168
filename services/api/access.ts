import { SawBrainError } from '../core/errors.js';
import type { ApiIdentity, ApiRole, Machine, MachineRegistry } from '../registry/index.js';

/**
 * Object-level access: which machines (and so which warnings, commands, plants, lines) a key may
 * touch. The policy, one for every route (docs/api.md):
 *
 *   admin         every object; an unknown id is 404
 *   manufacturer  the machines of its tenant (wherever they stand)
 *   plant         the machines standing in its plant (whichever manufacturer made them)
 *   innovation    no single object at all: only anonymised aggregates
 *
 * For everyone but admin, an id outside the key's scope is 403 FORBIDDEN whether or not it
 * exists, so a response never tells a foreign id from a missing one.
 */
export function sees(id: ApiIdentity, m: Pick<Machine, 'tenant' | 'plant'>): boolean {
  switch (id.role) {
    case 'admin':
      return true;
    case 'manufacturer':
      return m.tenant === id.tenant;
    case 'plant':
      return m.plant === id.plant;
    case 'innovation':
      return false;
  }
}

export const forbidden = (what: string) => new SawBrainError('FORBIDDEN', what);

/** 404 for admin, 403 for everyone else (see the policy above). */
export function outOfScope(id: ApiIdentity, what: string): SawBrainError {
  return id.role === 'admin' ? new SawBrainError('NOT_FOUND', what) : forbidden(what);
}

export function requireRole(id: ApiIdentity, roles: readonly ApiRole[]): void {
  if (!roles.includes(id.role)) throw forbidden(`role ${id.role} may not do this`);
}

/** The machine behind a URL id, if the key may see it. */
export function machineFor(id: ApiIdentity, registry: MachineRegistry, machineId: string): Machine {
  const m = registry.get(machineId);
  if (!m || !sees(id, m)) throw outOfScope(id, `machine ${machineId}`);
  return m;
}

/** The machines a key sees (revoked ones included when asked). */
export function visibleMachines(
  id: ApiIdentity,
  registry: MachineRegistry,
  includeRevoked = true,
): Machine[] {
  switch (id.role) {
    case 'admin':
      return registry.list({ includeRevoked });
    case 'manufacturer':
      return registry.list({ tenant: id.tenant!, includeRevoked });
    case 'plant':
      return registry.list({ plant: id.plant!, includeRevoked });
    case 'innovation':
      return [];
  }
}

/** The machines of a plant a key sees; 403/404 when it sees none of them. */
export function plantFor(id: ApiIdentity, registry: MachineRegistry, plant: string): Machine[] {
  if (id.role === 'plant' && id.plant !== plant) throw forbidden(`plant ${plant}`);
  const machines = registry.list({ plant }).filter((m) => sees(id, m));
  if (machines.length === 0) throw outOfScope(id, `plant ${plant}`);
  return machines;
}

/** The active machines of a line (a site of a plant) a key sees. */
export function lineFor(id: ApiIdentity, registry: MachineRegistry, plant: string, line: string): Machine[] {
  const machines = plantFor(id, registry, plant).filter((m) => m.site === line);
  if (machines.length === 0) throw outOfScope(id, `line ${plant}/${line}`);
  return machines;
}

/** A list filter naming another tenant or plant than the key's own is refused, not silently emptied. */
export function checkFilter(
  id: ApiIdentity,
  f: { tenant?: string | undefined; plant?: string | undefined },
): void {
  if (id.role === 'manufacturer' && f.tenant !== undefined && f.tenant !== id.tenant)
    throw forbidden(`tenant ${f.tenant}`);
  if (id.role === 'plant' && f.plant !== undefined && f.plant !== id.plant)
    throw forbidden(`plant ${f.plant}`);
}
