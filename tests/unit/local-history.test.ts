/** Which stored history belongs to which life of a room [R-52][R-3] (src/lib/rooms/local-history.ts). */
import { describe, expect, it } from 'vitest';
import { LocalHistory, historyDatabaseName, type HistoryStorage } from '../../src/lib/rooms/local-history.js';

/** A browser's IndexedDB names and a tab's sessionStorage, in memory. */
function fakeBrowser(databases: string[], canList = true) {
  const names = new Set(databases);
  const session = new Map<string, string>();
  const storage: HistoryStorage = {
    databaseNames: async () => (canList ? [...names] : undefined),
    deleteDatabase: async (name) => void names.delete(name),
    session: {
      getItem: (key) => session.get(key) ?? null,
      setItem: (key, value) => void session.set(key, value),
      removeItem: (key) => void session.delete(key),
    },
  };
  return { names, storage, reload: () => storage /* sessionStorage survives a reload of the tab */, newTab: () => ({ ...storage, session: fakeBrowser([]).storage.session }) };
}

describe('local history per room incarnation [R-52][R-3]', () => {
  it('[R-3] keeps one database per incarnation; a room id cannot contain the separator', () => {
    expect(historyDatabaseName('maths', 'Qx7_k')).toBe('mesh-rooms/maths/Qx7_k');
    expect(historyDatabaseName('maths', undefined)).toBe('mesh-rooms/maths');
  });

  it('[R-3] entering a new life of a room deletes what this browser kept of the old one (and of no other room)', async () => {
    const browser = fakeBrowser(['mesh-rooms/maths/old', 'mesh-rooms/maths', 'mesh-rooms/maths2/x', 'mesh-rooms/art/y', 'other-app']);
    const history = new LocalHistory(browser.storage);
    const { database, cleaned } = history.entered('maths', 'new');
    expect(database).toBe('mesh-rooms/maths/new');
    await cleaned;
    expect([...browser.names].sort()).toEqual(['mesh-rooms/art/y', 'mesh-rooms/maths2/x', 'other-app']);
  });

  it('[R-52] a reload proposes the incarnation the tab was in; a new tab, or a room left on purpose, proposes none', async () => {
    const browser = fakeBrowser([]);
    const history = new LocalHistory(browser.storage);
    expect(history.proposal('maths')).toBeUndefined();
    await history.entered('maths', 'life-1').cleaned;
    expect(new LocalHistory(browser.reload()).proposal('maths')).toBe('life-1');
    expect(new LocalHistory(browser.newTab()).proposal('maths')).toBeUndefined();
    history.left('maths');
    expect(history.proposal('maths')).toBeUndefined();
  });

  it('[R-70] against a relay without incarnations, the one database per room is kept as it is', async () => {
    const browser = fakeBrowser(['mesh-rooms/maths']);
    const history = new LocalHistory(browser.storage);
    const { database, cleaned } = history.entered('maths', undefined);
    expect(database).toBe('mesh-rooms/maths');
    await cleaned;
    expect([...browser.names]).toEqual(['mesh-rooms/maths']);
    expect(history.proposal('maths')).toBeUndefined();
  });

  it('[R-3] a browser that cannot list its databases still keeps each life apart (the old one is just not deleted)', async () => {
    const browser = fakeBrowser(['mesh-rooms/maths/old'], false);
    const { database, cleaned } = new LocalHistory(browser.storage).entered('maths', 'new');
    expect(database).toBe('mesh-rooms/maths/new');
    await cleaned;
    expect([...browser.names]).toEqual(['mesh-rooms/maths/old']);
  });
});
