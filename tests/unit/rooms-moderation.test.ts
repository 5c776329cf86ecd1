import { describe, expect, it } from 'vitest';
import { closedFor, effectiveRole, isBanned } from '../../src/lib/rooms/moderation.js';

describe('roles [R-4]', () => {
  const view = (host: string | undefined, roles: Record<string, unknown> = {}) => ({ host, roles: new Map(Object.entries(roles)) });

  it('[R-4] the host named by the document is host, whatever it declared', () => {
    expect(effectiveRole('alice', 'interactor', view('alice'))).toBe('host');
    expect(effectiveRole('alice', 'audience', view('alice', { alice: 'audience' }))).toBe('host');
  });

  it('[R-4] a role assigned in the document wins over the declared one', () => {
    expect(effectiveRole('bob', 'interactor', view('alice', { bob: 'audience' }))).toBe('audience');
    expect(effectiveRole('bob', 'audience', view('alice', { bob: 'interactor' }))).toBe('interactor');
    expect(effectiveRole('bob', 'audience', view('alice'))).toBe('audience');
  });

  it('[R-4] nobody becomes host by declaring it, and junk in the roles map is ignored', () => {
    expect(effectiveRole('mallory', 'host', view('alice'))).toBe('interactor');
    expect(effectiveRole('mallory', 'host', view(undefined))).toBe('interactor');
    expect(effectiveRole('bob', 'audience', view('alice', { bob: 'host' }))).toBe('audience');
    expect(effectiveRole('bob', 'interactor', view('alice', { bob: 42 }))).toBe('interactor');
  });
});

describe('kick and close [R-40]', () => {
  it('[R-40] a ban lasts until its time; junk is not a ban', () => {
    const bans = new Map<string, unknown>([
      ['bob', 2_000],
      ['carol', 'forever'],
    ]);
    expect(isBanned('bob', bans, 1_999)).toBe(true);
    expect(isBanned('bob', bans, 2_000)).toBe(false);
    expect(isBanned('carol', bans, 0)).toBe(false);
    expect(isBanned('dave', bans, 0)).toBe(false);
  });

  it('[R-40] a close applies to those who joined before it, not to a room reopened later', () => {
    expect(closedFor(1_000, 900)).toBe(true);
    expect(closedFor(1_000, 1_000)).toBe(true);
    expect(closedFor(1_000, 1_001)).toBe(false);
    expect(closedFor(undefined, 0)).toBe(false);
    expect(closedFor('yes', 0)).toBe(false);
  });
});
