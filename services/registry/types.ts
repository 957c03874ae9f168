import { z } from 'zod';
import { MachineId, TenantId } from '../contracts/ids.js';

/** What a service principal may do on the broker (see services/broker/acl.ts). */
export const SERVICE_SCOPES = ['ingest', 'analysis', 'commander', 'admin'] as const;
export const ServiceScope = z.enum(SERVICE_SCOPES);
export type ServiceScope = z.infer<typeof ServiceScope>;

const label = (what: string) =>
  z
    .string()
    .trim()
    .min(1, `${what} must not be empty`)
    .max(128, `${what}: at most 128 characters`)
    .regex(/^[^\p{Cc}]*$/u, `${what}: no control characters`);

export const AddMachineInput = z.strictObject({
  machineId: MachineId,
  tenant: TenantId,
  plant: label('plant'),
  site: label('site'),
  region: label('region'),
  industry: label('industry'),
  model: label('model'),
  serial: label('serial'),
});
export type AddMachineInput = z.input<typeof AddMachineInput>;

/** Gateway and service usernames share the alphabet of machine ids (they share one namespace). */
export const PrincipalName = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/,
    'name: 1-64 chars of A-Z, a-z, 0-9, "_", "-", starting alphanumeric',
  );

export const AddGatewayInput = z.strictObject({
  id: PrincipalName,
  tenant: TenantId,
  machineIds: z.array(MachineId).min(1, 'a gateway speaks for at least one machine').max(10_000),
});

export const AddServiceInput = z.strictObject({
  name: PrincipalName,
  scopes: z.array(ServiceScope).min(1, 'at least one scope'),
});

export interface Machine {
  machineId: string;
  tenant: string;
  plant: string;
  site: string;
  region: string;
  industry: string;
  model: string;
  serial: string;
  /** epoch ms */
  createdAt: number;
  /** epoch ms; null while active */
  revokedAt: number | null;
}

export type PrincipalKind = 'machine' | 'gateway' | 'service';

/** An authenticated identity: what the broker derives rights from. */
export type Principal =
  | { kind: 'machine'; username: string; machineId: string; tenant: string }
  | { kind: 'gateway'; username: string; tenant: string; machines: string[] }
  | { kind: 'service'; username: string; scopes: ServiceScope[] };

/** A principal as stored (never includes the hash). */
export interface PrincipalRecord {
  username: string;
  kind: PrincipalKind;
  tenant: string | null;
  machineId: string | null;
  machines: string[];
  scopes: ServiceScope[];
  createdAt: number;
  rotatedAt: number | null;
  revokedAt: number | null;
}

export interface Credentials {
  username: string;
  /** shown once; only the scrypt hash is stored */
  password: string;
}

/** `rights`: what the principal may do changed (e.g. a machine of a gateway was revoked). */
export type ChangeAction = 'add' | 'rotate' | 'revoke' | 'rights';

/** One entry of the change log; `rev` is the registry revision the change produced. */
export interface RegistryChange {
  rev: number;
  username: string;
  action: ChangeAction;
  /** epoch ms */
  at: number;
}
