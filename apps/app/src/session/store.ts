import type { Kysely } from 'kysely';
import type { SessionCipher, Unsealed } from './crypto.js';
import { hashSessionId, newSessionId } from './crypto.js';
import type { AppSchema } from '../db/schema.js';
import type { SessionData } from './types.js';

export interface StoredSession {
  id: string;
  data: SessionData;
  expiresAt: number;
}

const now = () => Math.floor(Date.now() / 1000);

/** Sessions in the app's own database, data encrypted; the browser holds only the random id. */
export class SessionStore {
  constructor(
    private readonly db: Kysely<AppSchema>,
    private readonly cipher: SessionCipher,
  ) {}

  async create(data: SessionData, ttlSeconds: number): Promise<StoredSession> {
    const id = newSessionId();
    const idHash = hashSessionId(id);
    const expiresAt = now() + ttlSeconds;
    await this.db
      .insertInto('app_sessions')
      .values({ id_hash: idHash, data: this.cipher.encrypt(JSON.stringify(data), idHash), expires_at: expiresAt, created_at: now() })
      .execute();
    return { id, data, expiresAt };
  }

  /** The live session for this id, or undefined (unknown, expired or undecryptable; the latter two are deleted). */
  async get(id: string): Promise<StoredSession | undefined> {
    const idHash = hashSessionId(id);
    const row = await this.db.selectFrom('app_sessions').selectAll().where('id_hash', '=', idHash).executeTakeFirst();
    if (!row) return undefined;
    if (Number(row.expires_at) <= now()) {
      await this.destroy(id);
      return undefined;
    }
    let unsealed: Unsealed;
    let data: SessionData;
    try {
      unsealed = this.cipher.decrypt(row.data, idHash);
      data = JSON.parse(unsealed.plaintext) as SessionData;
    } catch {
      // Sealed with a COOKIE_SECRET no longer listed, or tampered with: unusable, so gone.
      await this.destroy(id);
      return undefined;
    }
    if (unsealed.stale) await this.reseal(idHash, row.data, unsealed.plaintext);
    return { id, data, expiresAt: Number(row.expires_at) };
  }

  /**
   * Seals data read under an older COOKIE_SECRET with the newest, so dropping the old one later
   * loses nothing. Only while the row still holds what was read: a concurrent save (refreshed
   * tokens) is never overwritten with older data.
   */
  private async reseal(idHash: string, sealed: string, plaintext: string): Promise<void> {
    await this.db
      .updateTable('app_sessions')
      .set({ data: this.cipher.encrypt(plaintext, idHash) })
      .where('id_hash', '=', idHash)
      .where('data', '=', sealed)
      .execute();
  }

  async save(session: StoredSession): Promise<void> {
    const idHash = hashSessionId(session.id);
    await this.db
      .updateTable('app_sessions')
      .set({ data: this.cipher.encrypt(JSON.stringify(session.data), idHash), expires_at: session.expiresAt })
      .where('id_hash', '=', idHash)
      .execute();
  }

  /** A new id for the same data (at login, against session fixation); the old id stops working. */
  async rotate(session: StoredSession, ttlSeconds: number): Promise<StoredSession> {
    const fresh = await this.create(session.data, ttlSeconds);
    await this.destroy(session.id);
    return fresh;
  }

  async destroy(id: string): Promise<void> {
    await this.db.deleteFrom('app_sessions').where('id_hash', '=', hashSessionId(id)).execute();
  }
}
