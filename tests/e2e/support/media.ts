/**
 * Members with media for e2e tests: the room-client harness plus the media fixture
 * (fixtures/media-client.ts), each in its own browser context with Chromium's fake camera and
 * microphone. What a person would notice is read from the page: a picture that has a size and
 * moves, sound energy that grows.
 */
import { expect, type Browser, type Page } from '@playwright/test';
import { bundleFixture } from './bundle';
import { openMember, type MemberOptions } from './room-client';

export async function openMediaMember(browser: Browser, userId: string, options: MemberOptions = {}): Promise<Page> {
  const page = await openMember(browser, userId, options);
  await page.addScriptTag({ content: await bundleFixture('media-client') });
  return page;
}

/** Publishes a fresh fake camera + mic (or `open` options) as `streamId`. */
export async function publishCamera(page: Page, roomId: string, streamId: string, options: Record<string, unknown> = {}): Promise<void> {
  await page.evaluate(
    async ([room, id, opts]) => {
      if (!window.media.streams[id]) await window.media.open(id, opts);
      await window.client!.publish(room, window.media.streams[id], { streamId: id });
    },
    [roomId, streamId, options] as const,
  );
}

/**
 * Plays `streamId` into a <video>, as a person would: once the stream shows in the room (a
 * publish reaches the others a moment later, longer on a busy machine). Returns the played
 * MediaStream's id; a refused play fails the test here, not as a picture that never comes.
 */
export async function play(page: Page, roomId: string, streamId: string): Promise<string> {
  const announced = () => page.evaluate(([room, id]) => window.client?.room(room)?.streams.some((stream) => stream.streamId === id) ?? false, [roomId, streamId] as const);
  // Looked for often: a test may race the play request against the player's own arrival.
  await expect.poll(announced, { timeout: 20_000, intervals: [50], message: `${streamId} is announced to the player` }).toBe(true);
  const played = await page.evaluate(([room, id]) => window.media.play(room, id), [roomId, streamId] as const);
  expect(played, `play ${streamId}`).toEqual(expect.any(String));
  return played as string;
}

/**
 * The picture of `streamId` has a size and new frames keep coming. (Not its playback time: that
 * runs on for a frozen picture too, which kept the size of its last frame.)
 */
export async function expectVideoPlaying(page: Page, roomId: string, streamId: string, timeout = 20_000): Promise<void> {
  const video = () => page.evaluate(([room, id]) => window.media.video(room, id), [roomId, streamId] as const);
  await expect.poll(async () => (await video())?.width ?? 0, { timeout }).toBeGreaterThan(0);
  const before = (await video())!.frames;
  await expect.poll(async () => (await video())!.frames, { timeout: 5_000, message: `new frames of ${streamId}` }).toBeGreaterThan(before + 3);
}

export function audioEnergy(page: Page, roomId: string, streamId: string): Promise<number> {
  return page.evaluate(([room, id]) => window.media.audioEnergy(room, id), [roomId, streamId] as const);
}

/** Sound of `streamId` arrives: its received audio energy keeps growing. */
export async function expectAudioArriving(page: Page, roomId: string, streamId: string): Promise<void> {
  const start = await audioEnergy(page, roomId, streamId);
  await expect.poll(() => audioEnergy(page, roomId, streamId), { timeout: 10_000 }).toBeGreaterThan(start + 0.001);
}

export function playerStates(page: Page, roomId: string, streamId: string): Promise<string[]> {
  return page.evaluate(
    ([room, id]) => window.events.flatMap((e) => (e.event === 'playerState' && e.roomId === room && e.streamId === id ? [e.state] : [])),
    [roomId, streamId] as const,
  );
}
