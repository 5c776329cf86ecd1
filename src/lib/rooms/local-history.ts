/**
 * Where this browser keeps a room's history, and which room that history belongs to.
 *
 * A room id names a room only while it exists: once everyone has left (and its
 * destroyDelay has run out) the name is free, and whoever enters it next creates another room.
 * What a browser stored of the old room must not flow into the new one: last week's chat would
 * reach this week's strangers, and a stale `meta.host` could take the host role from the new
 * creator. So the history is kept per incarnation — the id the relay gives a room when it is
 * created (signaling/protocol.ts) — in a database of its own:
 *
 *   mesh-rooms/<roomId>/<incarnation>   (a room id cannot contain "/")
 *   mesh-rooms/<roomId>                 (a relay without incarnations: the stock y-webrtc server)
 *
 * A reload brings the same room back: the tab remembers (sessionStorage, which lives as long as
 * the tab) the incarnation of each room it is in, and proposes it when it enters again; if the
 * room was destroyed meanwhile (it was alone in it), the relay takes the proposal and the
 * history is there again. A new tab, or the same name next week, proposes nothing: a destroyed
 * room stays destroyed.
 */

const PREFIX = 'mesh-rooms/';
const SESSION_KEY_PREFIX = 'mesh-rooms.incarnation/';

/** The parts of the browser this needs, injectable for tests. */
export interface HistoryStorage {
  /** indexedDB.databases(); undefined where the browser cannot list them. */
  databaseNames(): Promise<string[] | undefined>;
  deleteDatabase(name: string): Promise<void>;
  /** The tab's sessionStorage. */
  session: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'> | undefined;
}

/** The IndexedDB database that holds a room's history. */
export function historyDatabaseName(roomId: string, incarnation: string | undefined): string {
  return incarnation === undefined ? `${PREFIX}${roomId}` : `${PREFIX}${roomId}/${incarnation}`;
}

export class LocalHistory {
  readonly #storage: HistoryStorage;

  constructor(storage: HistoryStorage = browserHistoryStorage()) {
    this.#storage = storage;
  }

  /** The incarnation to propose when entering: the one this tab was in before a reload. */
  proposal(roomId: string): string | undefined {
    return this.#storage.session?.getItem(SESSION_KEY_PREFIX + roomId) ?? undefined;
  }

  /**
   * The room was entered as `incarnation`: remember it for a reload, and delete what this browser
   * keeps of other incarnations of the same name (they are rooms that no longer exist). Returns
   * the database to keep this one's history in at once; `cleaned` settles when the deleting is
   * done (nothing waits for it: the names differ, so the old lives cannot leak in meanwhile).
   */
  entered(roomId: string, incarnation: string | undefined): { database: string; cleaned: Promise<void> } {
    const database = historyDatabaseName(roomId, incarnation);
    // Without an incarnation there is nothing to tell rooms apart by: keep what there is.
    if (incarnation === undefined) return { database, cleaned: Promise.resolve() };
    this.#storage.session?.setItem(SESSION_KEY_PREFIX + roomId, incarnation);
    return { database, cleaned: this.#deleteOtherLives(roomId, database) };
  }

  async #deleteOtherLives(roomId: string, keep: string): Promise<void> {
    const names = await this.#storage.databaseNames().catch(() => undefined);
    const stale = (names ?? []).filter((name) => name !== keep && (name === historyDatabaseName(roomId, undefined) || name.startsWith(`${PREFIX}${roomId}/`)));
    // Best effort: a database another tab still has open is deleted once that tab lets go.
    await Promise.all(stale.map((name) => this.#storage.deleteDatabase(name).catch(() => {})));
  }

  /** Left on purpose: a later entry in this tab is a new visit, not a reload. */
  left(roomId: string): void {
    this.#storage.session?.removeItem(SESSION_KEY_PREFIX + roomId);
  }
}

function browserHistoryStorage(): HistoryStorage {
  const idb = typeof indexedDB === 'undefined' ? undefined : indexedDB;
  return {
    databaseNames: async () => (idb && typeof idb.databases === 'function' ? (await idb.databases()).flatMap((info) => (info.name ? [info.name] : [])) : undefined),
    deleteDatabase: (name) =>
      new Promise<void>((resolve, reject) => {
        if (!idb) return resolve();
        const request = idb.deleteDatabase(name);
        request.onsuccess = () => resolve();
        request.onerror = () => reject(request.error ?? new Error(`could not delete ${name}`));
        // Blocked: another tab holds it open; it goes when that tab closes it.
        request.onblocked = () => resolve();
      }),
    session: typeof sessionStorage === 'undefined' ? undefined : sessionStorage,
  };
}
