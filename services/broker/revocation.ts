import type { Logger } from '../core/logger.js';
import type { MachineRegistry } from '../registry/registry.js';
import type { SessionTable } from './sessions.js';

/**
 * Drops live sessions whose credentials were rotated or revoked — by this process or by another
 * one sharing the registry file (the CLI): polls `registry.revision()` (one indexed read) and,
 * when it moved, reads the change log and closes the sessions of the affected usernames that
 * authenticated before the change.
 */
export interface RevocationWatcherOptions {
  registry: MachineRegistry;
  sessions: SessionTable;
  logger: Logger;
  intervalMs: number;
  onDisconnect?: (count: number) => void;
}

export class RevocationWatcher {
  private timer: NodeJS.Timeout | null = null;
  private seen: number;

  constructor(private readonly options: RevocationWatcherOptions) {
    this.seen = options.registry.revision();
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.poll(), this.options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** One poll; returns the number of sessions closed. */
  poll(): number {
    const { registry, sessions, logger } = this.options;
    let closed = 0;
    try {
      if (registry.revision() === this.seen) return 0;
      const { revision, changes } = registry.changesSince(this.seen);
      for (const change of changes) {
        this.seen = change.rev;
        if (change.action === 'add') continue;
        const n = sessions.disconnect(change.username, change.rev);
        if (n > 0) {
          closed += n;
          logger.info(
            { username: change.username, action: change.action, sessions: n },
            'credentials changed: disconnected',
          );
        }
      }
      // a capped batch leaves the rest for the next poll
      if (changes.length === 0) this.seen = revision;
    } catch (err) {
      logger.warn({ err }, 'registry poll failed');
    }
    if (closed > 0) this.options.onDisconnect?.(closed);
    return closed;
  }
}
