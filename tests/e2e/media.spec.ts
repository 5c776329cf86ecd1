import type { Browser, Page } from '@playwright/test';
import { test, expect } from './support/test';
import { call, HARNESS_PAGE, startHarness, uniqueRoom } from './support/room-client';
import { bundleFixture } from './support/bundle';
import { startStockRelay } from '../support/stock-relay';
import { audioEnergy, expectAudioArriving, expectVideoPlaying, openMediaMember, play, playerStates, publishCamera } from './support/media';

const streamIds = (page: Page, roomId: string) => page.evaluate((id) => (window.client?.room(id)?.streams ?? []).map((s) => s.streamId).sort(), roomId);
/** Ann and Ben in `room`; Ann publishes her camera as `cam` and Ben sees it announced. */
async function annPublishesToBen(browser: Browser, room: string, relayUrl?: string): Promise<{ ann: Page; ben: Page }> {
  const ann = await openMediaMember(browser, 'ann', { relayUrl });
  const ben = await openMediaMember(browser, 'ben', { relayUrl });
  for (const page of [ann, ben]) await call(page, 'enterRoom', { roomId: room });
  await publishCamera(ann, room, 'cam');
  await expect.poll(() => streamIds(ben, room), { timeout: 20_000 }).toEqual(['cam']);
  return { ann, ben };
}

const remoteStream = (page: Page, roomId: string, streamId: string) =>
  page.evaluate(([room, id]) => window.client?.room(room)?.streams.find((s) => s.streamId === id) ?? null, [roomId, streamId] as const);

test('[R-30][R-31][R-53] three members see and hear each other; mic and camera off are seen and heard', async ({ browser }) => {
  const room = uniqueRoom('av');
  const names = ['ann', 'ben', 'cat'];
  const pages = await Promise.all(names.map((name) => openMediaMember(browser, name)));
  for (const page of pages) await call(page, 'enterRoom', { roomId: room });
  for (const [i, page] of pages.entries()) await publishCamera(page, room, `cam-${names[i]}`);
  for (const page of pages) await expect.poll(() => streamIds(page, room).then((ids) => ids.length), { timeout: 20_000 }).toBe(2);
  // Every video bitrate Ann's copies are given from now on (upload-budget.ts).
  await pages[0].evaluate(() => {
    const given: number[] = ((window as unknown as { bitratesGiven: number[] }).bitratesGiven = []);
    const setParameters = RTCRtpSender.prototype.setParameters;
    RTCRtpSender.prototype.setParameters = function (this: RTCRtpSender, parameters: RTCRtpSendParameters) {
      if (this.track?.kind !== 'audio') given.push(parameters.encodings[0]?.maxBitrate ?? 0);
      return setParameters.call(this, parameters);
    };
  });

  for (const [i, page] of pages.entries()) {
    for (const [j, name] of names.entries()) if (i !== j) await play(page, room, `cam-${name}`);
  }
  for (const [i, page] of pages.entries()) {
    for (const [j, name] of names.entries()) {
      if (i === j) continue;
      await expectVideoPlaying(page, room, `cam-${name}`);
      await expectAudioArriving(page, room, `cam-${name}`);
      expect(await playerStates(page, room, `cam-${name}`)).toEqual(['requesting', 'playing']);
    }
  }

  // The upload budget split over two receivers sets each copy's encoding (no renegotiation).
  const [ann, ben] = pages;
  // Once every connection is up, that is: until then they go at the settling rate (upload-budget.ts).
  const encodings = () =>
    ann.evaluate((id) => window.client!.mediaConnections(id).outgoing.map((pc) => pc.getSenders().find((s) => s.track?.kind === 'video')!.getParameters().encodings[0]), room);
  await expect.poll(encodings, { timeout: 10_000 }).toEqual([expect.objectContaining({ maxBitrate: 1_210_000, maxFramerate: 30 }), expect.objectContaining({ maxBitrate: 1_210_000, maxFramerate: 30 })]);
  // Planned for both from the first copy on: Cat was about to play while only Ben did
  // (play-forecast.ts), so no copy started at the one-receiver share and was cut down later.
  expect(new Set(await ann.evaluate(() => (window as unknown as { bitratesGiven: number[] }).bitratesGiven))).toEqual(new Set([1_210_000]));
  // Speaking indicator (the fake microphone beeps) and connection quality reach the UI.
  const indicators = (page: Page) =>
    page.evaluate(() => ({
      // The last word on Ann's microphone, as she measures it (speech.ts).
      speaking: window.events.flatMap((e) => (e.event === 'speaking' && e.streamId === 'cam-ann' ? [e.speaking] : [])).at(-1) ?? false,
      quality: window.events.filter((e) => e.event === 'connectionQuality' && e.streamId === 'cam-ann').at(-1),
    }));
  await expect.poll(async () => (await indicators(ben)).speaking, { timeout: 10_000 }).toBe(true);
  expect((await indicators(ben)).quality).toMatchObject({ quality: expect.stringMatching(/good|fair|poor/), rttMs: expect.any(Number), framesPerSecond: expect.any(Number) });

  // Ann turns her mic off: the others see it, and her sound stops arriving.
  await ann.evaluate(() => window.client!.setTrackEnabled(window.media.streams['cam-ann'], 'audio', false));
  await expect.poll(() => remoteStream(ben, room, 'cam-ann'), { timeout: 10_000 }).toMatchObject({ audio: 'off', video: 'on' });
  await expect.poll(async () => (await indicators(ben)).speaking, { timeout: 10_000 }).toBe(false);
  await ben.waitForTimeout(1000); // let what was in flight arrive
  const silentFrom = await audioEnergy(ben, room, 'cam-ann');
  await ben.waitForTimeout(2000);
  expect(await audioEnergy(ben, room, 'cam-ann')).toBeLessThan(silentFrom + 0.0005);

  // Camera off and back on: seen by the others, and the picture moves again.
  await ann.evaluate(() => window.client!.setTrackEnabled(window.media.streams['cam-ann'], 'video', false));
  await expect.poll(() => remoteStream(ben, room, 'cam-ann'), { timeout: 10_000 }).toMatchObject({ video: 'off' });
  await ann.evaluate(() => window.client!.setTrackEnabled(window.media.streams['cam-ann'], 'video', true));
  await expect.poll(() => remoteStream(ben, room, 'cam-ann'), { timeout: 10_000 }).toMatchObject({ video: 'on' });
  await expectVideoPlaying(ben, room, 'cam-ann');

  // Over all this time no healthy connection was given up and redone, and media needed none of
  // its own: per member, one data connection (y-webrtc) to each of the other two, its media
  // lines carrying the pictures and sound both ways (media-lines.ts).
  for (const page of pages) expect(await page.evaluate(() => window.client!.peerConnectionCount)).toEqual({ created: 2, open: 2 });
});

test('[R-5] a stream nobody plays is not sent; playing starts the upload, stopping ends it', async ({ browser }) => {
  const room = uniqueRoom('idle');
  const { ann, ben } = await annPublishesToBen(browser, room);
  await ann.waitForTimeout(2000);
  expect(await ann.evaluate((id) => window.client!.mediaConnections(id).outgoing.length, room)).toBe(0);
  expect(await ann.evaluate((id) => window.media.bytesSent(id), room)).toBe(0);

  await play(ben, room, 'cam');
  await expectVideoPlaying(ben, room, 'cam');
  await expect.poll(() => ann.evaluate((id) => window.media.bytesSent(id), room)).toBeGreaterThan(10_000);
  await expect
    .poll(() => ann.evaluate(() => window.events.filter((e) => e.event === 'publisherState').map((e) => (e as { state: string }).state).at(-1)))
    .toBe('playing');

  await call(ben, 'stopPlaying', room, 'cam');
  await expect.poll(() => ann.evaluate((id) => window.client!.mediaConnections(id).outgoing.length, room)).toBe(0);
  expect(await playerStates(ben, room, 'cam')).toEqual(['requesting', 'playing', 'stopped']);
});

test('[R-4][R-30] the audience receives but cannot publish; STREAM_ID_TAKEN for a duplicate', async ({ browser }) => {
  const room = uniqueRoom('audience');
  const host = await openMediaMember(browser, 'host');
  const viewer = await openMediaMember(browser, 'viewer');
  await call(host, 'enterRoom', { roomId: room });
  await call(viewer, 'enterRoom', { roomId: room }, { role: 'audience' });
  await publishCamera(host, room, 'stage');
  await expect.poll(() => streamIds(viewer, room), { timeout: 20_000 }).toEqual(['stage']);
  await play(viewer, room, 'stage');
  await expectVideoPlaying(viewer, room, 'stage');

  const refused = await viewer.evaluate(async (id) => {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    return window.call('publish', id, stream, { streamId: 'mine' });
  }, room);
  expect(refused).toEqual({ error: 'ROLE_FORBIDDEN' });
  const taken = await host.evaluate((id) => window.call('publish', id, window.media.streams['stage'], { streamId: 'stage' }), room);
  expect(taken).toEqual({ error: 'STREAM_ID_TAKEN' });
  expect(await call(viewer, 'stopPlaying', room, 'nope')).toEqual({ error: 'STREAM_NOT_FOUND' });
});

test('[R-61][R-14] one camera into two rooms is one capture; leaving one room keeps the other playing', async ({ browser }) => {
  const [main, group] = [uniqueRoom('main'), uniqueRoom('group')];
  const host = await openMediaMember(browser, 'host');
  const student = await openMediaMember(browser, 'student');
  for (const page of [host, student]) for (const room of [main, group]) await call(page, 'enterRoom', { roomId: room });
  await host.evaluate(async (rooms) => {
    await window.media.open('cam');
    for (const room of rooms) await window.client!.publish(room, window.media.streams['cam'], { streamId: 'cam' });
  }, [main, group]);
  // The same tracks (one capture) go to both rooms.
  await student.evaluate(async (rooms) => {
    for (const room of rooms) {
      while (!window.client!.room(room)?.streams.length) await new Promise((r) => setTimeout(r, 100));
    }
  }, [main, group]);
  for (const room of [main, group]) await play(student, room, 'cam');
  for (const room of [main, group]) await expectVideoPlaying(student, room, 'cam');
  const captures = await host.evaluate(() => window.media.streams['cam'].getVideoTracks().length);
  expect(captures).toBe(1);

  await call(student, 'leaveRoom', group);
  await expectVideoPlaying(student, main, 'cam');
  await expect.poll(() => host.evaluate((room) => window.client!.mediaConnections(room).outgoing.length, group)).toBe(0);
  expect(await host.evaluate((room) => window.client!.mediaConnections(room).outgoing.length, main)).toBe(1);
});

test('[R-53] a broken media connection comes back: the player sees failed, then playing again', async ({ browser }) => {
  const room = uniqueRoom('recover');
  const { ann, ben } = await annPublishesToBen(browser, room);
  await play(ben, room, 'cam');
  await expectVideoPlaying(ben, room, 'cam');

  // Cut the connection under the publisher, as a network failure would: the data connection,
  // whose lines carry the stream.
  await ann.evaluate((id) => window.client!.mediaConnections(id).outgoing[0].close(), room);
  await expect.poll(() => playerStates(ben, room, 'cam'), { timeout: 15_000 }).toEqual(['requesting', 'playing', 'failed', 'requesting', 'playing']);
  // The same <video> element, untouched, shows the picture again, on the new data connection.
  await expectVideoPlaying(ben, room, 'cam');
  for (const page of [ann, ben]) await expect.poll(() => page.evaluate(() => window.client!.peerConnectionCount.open), { timeout: 20_000 }).toBe(1);
});

/** A media member in a second tab of `page`'s browser: the two reach each other over BroadcastChannel. */
async function openTabBeside(page: Page, userId: string): Promise<Page> {
  const tab = await page.context().newPage();
  await tab.goto(HARNESS_PAGE);
  await startHarness(tab, userId);
  await tab.addScriptTag({ content: await bundleFixture('media-client') });
  return tab;
}

test('[R-31] with no line to go on — two tabs of one browser, or the line taken — a stream comes on a media connection of its own', async ({ browser }) => {
  const room = uniqueRoom('own-connection');
  // Two tabs of one browser: y-webrtc joins them over BroadcastChannel, so there is no data
  // connection between them to carry media lines.
  const ann = await openMediaMember(browser, 'ann');
  const amy = await openTabBeside(ann, 'amy');
  for (const page of [ann, amy]) await call(page, 'enterRoom', { roomId: room });
  await publishCamera(ann, room, 'cam');
  await expect.poll(() => streamIds(amy, room), { timeout: 20_000 }).toEqual(['cam']);
  await play(amy, room, 'cam');
  await expectVideoPlaying(amy, room, 'cam');
  await expectAudioArriving(amy, room, 'cam');
  expect(await playerStates(amy, room, 'cam')).toEqual(['requesting', 'playing']);
  expect(await amy.evaluate(() => window.client!.peerConnectionCount)).toEqual({ created: 1, open: 1 });

  // Ben, in a browser of his own, plays two of Ann's streams: one goes on the line of his data
  // connection with her, the other, refused a line, on a connection of its own — without a
  // failure on the way.
  const ben = await openMediaMember(browser, 'ben');
  await call(ben, 'enterRoom', { roomId: room });
  await publishCamera(ann, room, 'cam2', { width: 320, height: 240 });
  await expect.poll(() => streamIds(ben, room), { timeout: 20_000 }).toEqual(['cam', 'cam2']);
  for (const id of ['cam', 'cam2']) await play(ben, room, id);
  for (const id of ['cam', 'cam2']) {
    await expectVideoPlaying(ben, room, id);
    expect(await playerStates(ben, room, id)).toEqual(['requesting', 'playing']);
  }
  // Data connections with Ann and Amy (Ben may hear of Amy through Ann first), and the one media connection.
  await expect.poll(async () => (await ben.evaluate(() => window.client!.peerConnectionCount)).open, { timeout: 20_000 }).toBe(3);
});

/**
 * Runs in a page before its scripts: every data-channel message reaches its listeners `ms`
 * late, as on a page whose peers' data arrives behind what the relay brings.
 */
function delayDataChannelMessages(ms: number): void {
  const add = RTCDataChannel.prototype.addEventListener;
  RTCDataChannel.prototype.addEventListener = function (this: RTCDataChannel, type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | AddEventListenerOptions) {
    if (type !== 'message' || !listener) return add.call(this, type, listener!, options);
    const late = (event: Event) => setTimeout(() => (typeof listener === 'function' ? listener.call(this, event) : listener.handleEvent(event)), ms);
    return add.call(this, type, late, options);
  } as typeof RTCDataChannel.prototype.addEventListener;
  const onmessage = Object.getOwnPropertyDescriptor(RTCDataChannel.prototype, 'onmessage')!;
  Object.defineProperty(RTCDataChannel.prototype, 'onmessage', {
    get(this: RTCDataChannel) {
      return onmessage.get!.call(this);
    },
    set(this: RTCDataChannel, handler: ((event: MessageEvent) => void) | null) {
      onmessage.set!.call(this, handler && ((event: MessageEvent) => setTimeout(() => handler.call(this, event), ms)));
    },
  });
}

test('[R-31] a play request that overtakes its player\'s arrival is served once the player is seen, not refused', async ({ browser }) => {
  const room = uniqueRoom('early-play');
  // Ann hears her peers' data channels 1.5 s late: Ben's request, over the relay, reaches her
  // before Ben himself does.
  const context = await browser.newContext();
  await context.addInitScript(delayDataChannelMessages, 1500);
  const ann = await context.newPage();
  await ann.goto(HARNESS_PAGE);
  await startHarness(ann, 'ann');
  await ann.addScriptTag({ content: await bundleFixture('media-client') });
  const ben = await openMediaMember(browser, 'ben');
  await call(ann, 'enterRoom', { roomId: room });
  await publishCamera(ann, room, 'cam');
  await call(ben, 'enterRoom', { roomId: room });
  await play(ben, room, 'cam'); // as soon as Ben sees the stream
  await expectVideoPlaying(ben, room, 'cam');

  // The race happened: Ben asked before Ann saw him...
  const asked = await ben.evaluate((id) => window.events.find((e) => e.event === 'playerState' && e.roomId === id && e.state === 'requesting')!.at, room);
  const seen = await ann.evaluate((id) => window.events.find((e) => e.event === 'memberJoined' && e.roomId === id && e.members.some((m) => m.userId === 'ben'))!.at, room);
  expect(asked).toBeLessThan(seen);
  // ...and his first request was served: no refusal, no retry.
  expect(await playerStates(ben, room, 'cam')).toEqual(['requesting', 'playing']);
});

test('[R-30] device switch without renegotiation; a screen share is a second stream that ends with the share', async ({ browser }) => {
  const room = uniqueRoom('devices');
  const { ann, ben } = await annPublishesToBen(browser, room);
  await play(ben, room, 'cam');
  await expectVideoPlaying(ben, room, 'cam');

  const switched = await ann.evaluate(async (id) => {
    const cameras = (await navigator.mediaDevices.enumerateDevices()).filter((d) => d.kind === 'videoinput');
    const stream = window.media.streams['cam'];
    const before = stream.getVideoTracks()[0].label;
    const connections = window.client!.peerConnectionCount.created;
    // fake_device_2: fake_device_1 is a depth camera (Y16) whose frames WebRTC does not send.
    const other = cameras.find((c) => c.label === 'fake_device_2')!;
    await window.client!.switchDevice(stream, 'video', other.deviceId);
    const sender = window.client!.mediaConnections(id).outgoing[0].getSenders().find((s) => s.track?.kind === 'video');
    return { before, after: stream.getVideoTracks()[0].label, sent: sender?.track?.label, newConnections: window.client!.peerConnectionCount.created - connections };
  }, room);
  expect(switched.after).not.toBe(switched.before);
  expect(switched.sent).toBe(switched.after);
  expect(switched.newConnections).toBe(0);
  await expectVideoPlaying(ben, room, 'cam');

  // Screen share: a second stream of kind "screen".
  await ann.evaluate(async (id) => {
    await window.media.openScreen('screen');
    await window.client!.publish(id, window.media.streams['screen'], { streamId: 'screen' });
  }, room);
  await expect.poll(() => remoteStream(ben, room, 'screen'), { timeout: 10_000 }).toMatchObject({ kind: 'screen', video: 'on' });
  await play(ben, room, 'screen');
  await expectVideoPlaying(ben, room, 'screen');
  // The browser's "stop sharing" ends the track and fires `ended` (a page's own stop() does
  // not fire it, so the test does what the browser does).
  await ann.evaluate(() => {
    const track = window.media.streams['screen'].getVideoTracks()[0];
    track.stop();
    track.dispatchEvent(new Event('ended'));
  });
  await expect.poll(() => streamIds(ben, room), { timeout: 10_000 }).toEqual(['cam']);
  await expect.poll(() => playerStates(ben, room, 'screen')).toContain('stopped');
  await expectVideoPlaying(ben, room, 'cam');
});

test('[R-41][R-4] media in a password room; a member who turns audience stops publishing', async ({ browser }) => {
  const room = uniqueRoom('secret');
  const host = await openMediaMember(browser, 'host');
  const ben = await openMediaMember(browser, 'ben');
  for (const page of [host, ben]) await call(page, 'enterRoom', { roomId: room }, { password: 'open sesame' });
  await publishCamera(ben, room, 'cam');
  await expect.poll(() => streamIds(host, room), { timeout: 20_000 }).toEqual(['cam']);
  await play(host, room, 'cam');
  await expectVideoPlaying(host, room, 'cam');

  expect(await call(ben, 'setRole', room, 'audience')).toBeUndefined();
  await expect.poll(() => streamIds(host, room), { timeout: 10_000 }).toEqual([]);
  await expect.poll(() => playerStates(host, room, 'cam')).toEqual(['requesting', 'playing', 'stopped']);
  await expect.poll(() => ben.evaluate((id) => window.client!.mediaConnections(id).outgoing.length, room)).toBe(0);
  expect(await ben.evaluate((id) => window.events.filter((e) => e.event === 'publisherState' && e.roomId === id).at(-1), room)).toMatchObject({ state: 'stopped', reason: 'role' });
});

test('peer connections of a client in five rooms are released as members come and go', async ({ browser }) => {
  const rooms = [1, 2, 3, 4, 5].map((n) => uniqueRoom(`five${n}`));
  const host = await openMediaMember(browser, 'host');
  const guest = await openMediaMember(browser, 'guest');
  for (const room of rooms) await call(host, 'enterRoom', { roomId: room });
  await host.evaluate(async (ids) => {
    await window.media.open('cam');
    for (const id of ids) await window.client!.publish(id, window.media.streams['cam'], { streamId: 'cam' });
  }, rooms);
  const count = () => host.evaluate(() => window.client!.peerConnectionCount);
  expect((await count()).open).toBe(0);

  for (let round = 1; round <= 2; round++) {
    // The guest enters all five rooms and plays the host's camera in each: per room one data
    // connection (y-webrtc), whose media lines carry the camera.
    for (const room of rooms) await call(guest, 'enterRoom', { roomId: room });
    for (const room of rooms) await expect.poll(() => streamIds(guest, room), { timeout: 20_000 }).toEqual(['cam']);
    for (const room of rooms) await play(guest, room, 'cam');
    for (const room of rooms) await expectVideoPlaying(guest, room, 'cam');
    expect((await count()).open).toBeGreaterThanOrEqual(5);
    await call(guest, 'leaveAllRooms');
    // Everything is closed: what the guest's leave closed at once, and any offer of y-webrtc's
    // that lost a race and was never answered, after 15 s (peer-connections.ts).
    await expect.poll(async () => (await count()).open, { timeout: 30_000 }).toBe(0);
  }
  expect((await count()).created).toBeLessThanOrEqual(2 * 10);
});

test('[R-70] media works against a stock y-webrtc server too', async ({ browser }) => {
  const stock = await startStockRelay();
  try {
    const room = uniqueRoom('stock-media');
    const { ben } = await annPublishesToBen(browser, room, stock.url);
    await play(ben, room, 'cam');
    await expectVideoPlaying(ben, room, 'cam');
  } finally {
    stock.stop();
  }
});
