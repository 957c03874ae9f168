import type { ApiIdentity } from '../registry/index.js';
import { lineFor, machineFor, outOfScope, plantFor, sees } from './access.js';
import type { ApiDeps } from './deps.js';

/**
 * The object-level check every route gets for the ids in its URL, by parameter name, before its
 * body is parsed or validated: `machineId`, `warningId`, `commandId`, `plantId` (+ `line`). So a
 * foreign id is refused the same way on every route, whatever else the request carries. (Handlers
 * still resolve the objects through ./access.ts; this is the guard in front of them.)
 */
export function guardParams(deps: ApiDeps) {
  return (id: ApiIdentity, raw: unknown): void => {
    if (id.role === 'admin' || !raw || typeof raw !== 'object') return;
    const p = raw as Record<string, string | undefined>;
    if (p.machineId !== undefined) machineFor(id, deps.registry, p.machineId);
    if (p.plantId !== undefined) {
      if (p.line !== undefined) lineFor(id, deps.registry, p.plantId, p.line);
      else plantFor(id, deps.registry, p.plantId);
    }
    if (p.warningId !== undefined) {
      let w: ReturnType<NonNullable<ApiDeps['analysis']>['get']> | undefined;
      try {
        w = deps.analysis?.get(p.warningId);
      } catch {
        w = undefined;
      }
      const m = w ? deps.registry.get(w.machine) : null;
      if (!w || !sees(id, m ?? { tenant: w.tenant, plant: w.plant ?? '' }))
        throw outOfScope(id, `warning ${p.warningId}`);
    }
    if (p.commandId !== undefined) {
      const c = deps.commands?.get(p.commandId);
      const m = c ? deps.registry.get(c.machineId) : null;
      if (!c || !sees(id, m ?? { tenant: c.tenant, plant: c.plant }))
        throw outOfScope(id, `command ${p.commandId}`);
    }
  };
}
