import type { Client } from 'aedes';
import type { Principal } from '../registry/types.js';
import type { Rights } from './acl.js';

/** An authenticated connection. */
export interface Session {
  readonly client: Client;
  readonly principal: Principal;
  readonly rights: Rights;
  /** registry revision read just before the credentials were checked */
  readonly authRevision: number;
}

/**
 * Who is connected as whom. Lookups for authorization go through a WeakMap, so a session stays
 * readable while aedes tears the client down (its will is authorized after the socket closed);
 * the per-username index only holds live connections and serves revocation.
 */
export class SessionTable {
  private readonly byClient = new WeakMap<Client, Session>();
  private readonly byUsername = new Map<string, Set<Session>>();

  add(session: Session): void {
    this.byClient.set(session.client, session);
    const { conn } = session.client;
    if (conn.destroyed) return;
    const username = session.principal.username;
    let live = this.byUsername.get(username);
    if (!live) {
      live = new Set();
      this.byUsername.set(username, live);
    }
    const own = live;
    own.add(session);
    conn.once('close', () => {
      own.delete(session);
      if (own.size === 0 && this.byUsername.get(username) === own) this.byUsername.delete(username);
    });
  }

  get(client: Client): Session | undefined {
    return this.byClient.get(client);
  }

  /** Live sessions of a username. */
  live(username: string): Session[] {
    return [...(this.byUsername.get(username) ?? [])];
  }

  /** Number of live connections. */
  get size(): number {
    let n = 0;
    for (const set of this.byUsername.values()) n += set.size;
    return n;
  }

  /**
   * Closes the live sessions of `username` that authenticated before `beforeRevision` (a session
   * that already used the rotated password must survive). Returns how many were closed.
   */
  disconnect(username: string, beforeRevision = Number.POSITIVE_INFINITY): number {
    let closed = 0;
    for (const session of this.live(username)) {
      if (session.authRevision >= beforeRevision) continue;
      closed++;
      session.client.close();
    }
    return closed;
  }
}
