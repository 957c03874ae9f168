/** aedes-persistence-redis ships no type declarations; the part the broker uses. */
declare module 'aedes-persistence-redis' {
  interface AedesRedisPersistence {
    /** closes the redis connections (promise form when called without a callback) */
    destroy(): Promise<void>;
  }
  function aedesPersistenceRedis(options?: Record<string, unknown>): AedesRedisPersistence;
  export default aedesPersistenceRedis;
}
