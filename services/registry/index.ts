export {
  API_ROLES,
  type ApiIdentity,
  type ApiKeyRecord,
  ApiKeyStore,
  ApiRole,
  NewApiKey,
  PlantId,
} from './api-keys.js';
export { registerRegistryCommands } from './cli.js';
export { registerKeyCommands } from './key-cli.js';
export {
  DEFAULT_SCRYPT,
  generatePassword,
  hashPassword,
  type ScryptParams,
  verifyPassword,
} from './password.js';
export { MachineRegistry, REGISTRY_FILE, type RegistryOptions } from './registry.js';
export {
  AddMachineInput,
  type ChangeAction,
  type Credentials,
  type Machine,
  type Principal,
  type PrincipalKind,
  type PrincipalRecord,
  type RegistryChange,
  SERVICE_SCOPES,
  ServiceScope,
} from './types.js';
