import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto';

/**
 * Machine credentials: random secrets, stored only as scrypt hashes in a self-describing string
 *
 *   scrypt$N$r$p$<salt base64url>$<hash base64url>
 *
 * so the cost can be raised later without invalidating stored hashes. The secrets are 192-bit
 * random values (not human passwords), so the work factor only has to make a leaked hash useless,
 * not resist dictionary attacks; the default keeps a verify around a few tens of milliseconds on
 * the libuv thread pool (never on the event loop).
 */
export interface ScryptParams {
  /** CPU/memory cost, a power of two */
  N: number;
  r: number;
  p: number;
}

export const DEFAULT_SCRYPT: ScryptParams = { N: 16_384, r: 8, p: 1 };

const SALT_BYTES = 16;
const KEY_BYTES = 32;
const PASSWORD_BYTES = 24;
/** Bounds on parameters read back from the database, so a corrupt row cannot request a huge computation. */
const MAX_N = 1 << 20;
const MAX_R = 32;
const MAX_P = 16;

/** A fresh random secret: 24 bytes, base64url (32 characters, no padding). */
export function generatePassword(): string {
  return randomBytes(PASSWORD_BYTES).toString('base64url');
}

function derive(
  password: string | Buffer,
  salt: Buffer,
  params: ScryptParams,
  keyBytes = KEY_BYTES,
): Promise<Buffer> {
  const options: ScryptOptions = {
    N: params.N,
    r: params.r,
    p: params.p,
    // scrypt needs 128·N·r bytes; leave head room over the 32 MiB default
    maxmem: 256 * params.N * params.r + 1024 * 1024,
  };
  return new Promise((resolve, reject) => {
    scrypt(password, salt, keyBytes, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

function validParams(params: ScryptParams): boolean {
  const { N, r, p } = params;
  return (
    Number.isInteger(N) &&
    N >= 2 &&
    N <= MAX_N &&
    (N & (N - 1)) === 0 &&
    Number.isInteger(r) &&
    r >= 1 &&
    r <= MAX_R &&
    Number.isInteger(p) &&
    p >= 1 &&
    p <= MAX_P
  );
}

/** Hashes a secret with a fresh per-password salt. */
export async function hashPassword(
  password: string | Buffer,
  params: ScryptParams = DEFAULT_SCRYPT,
): Promise<string> {
  if (!validParams(params)) throw new RangeError(`invalid scrypt parameters ${JSON.stringify(params)}`);
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, params);
  return ['scrypt', params.N, params.r, params.p, salt.toString('base64url'), key.toString('base64url')].join(
    '$',
  );
}

interface ParsedHash {
  params: ScryptParams;
  salt: Buffer;
  key: Buffer;
}

function parseHash(stored: string): ParsedHash | null {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return null;
  const params = { N: Number(parts[1]), r: Number(parts[2]), p: Number(parts[3]) };
  if (!validParams(params)) return null;
  const salt = Buffer.from(parts[4]!, 'base64url');
  const key = Buffer.from(parts[5]!, 'base64url');
  if (salt.length < 8 || key.length < 16 || key.length > 64) return null;
  return { params, salt, key };
}

/** Constant-time comparison of a secret against a stored hash; false for malformed hashes. */
export async function verifyPassword(password: string | Buffer, stored: string): Promise<boolean> {
  const parsed = parseHash(stored);
  if (!parsed) return false;
  const key = await derive(password, parsed.salt, parsed.params, parsed.key.length);
  return timingSafeEqual(key, parsed.key);
}
