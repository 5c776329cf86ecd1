/**
 * Media on the data connections [R-30][R-31]: who is at the other end of each data connection
 * (its `hello`), the control messages between a player and a publisher (peer input: parsed,
 * never trusted), and the sending lines a publisher hands out. The lines themselves are real
 * transceivers only in a browser: tests/e2e/media.spec.ts plays over them.
 */
import { describe, expect, it, vi } from 'vitest';
import { LINE_COUNT, MediaLink, type MediaLine } from '../../src/lib/media/media-lines.js';
import { LineLink, RoomLinks, parseLineMessage, type LineMessage } from '../../src/lib/media/line-link.js';

const ME = '1001';
const PEER = '2002';

/** The control channel's end at this side: what was sent, and the other side's doings. */
class FakeChannel extends EventTarget {
  readyState: RTCDataChannelState = 'connecting';
  readonly sent: string[] = [];

  send(text: string): void {
    if (this.readyState !== 'open') throw new DOMException('not open', 'InvalidStateError');
    this.sent.push(text);
  }

  open(): void {
    this.readyState = 'open';
    this.dispatchEvent(new Event('open'));
  }

  receive(text: string): void {
    this.dispatchEvent(new MessageEvent('message', { data: text }));
  }

  close(): void {
    this.readyState = 'closed';
    this.dispatchEvent(new Event('close'));
  }
}

/** A data connection with `lines` lines, as media-lines.ts makes it (transceivers faked). */
function fakeConnection(lines = LINE_COUNT) {
  const transceivers = Array.from({ length: lines }, (_, index) =>
    (['audio', 'video'] as const).map((kind) => ({ mid: `${kind}${index}`, currentDirection: 'sendrecv', receiver: { track: { kind } }, sender: {} })),
  ).flat();
  const pc = { getTransceivers: () => transceivers } as unknown as RTCPeerConnection;
  const media = new MediaLink(pc);
  const channel = new FakeChannel();
  media.attachChannel(channel as unknown as RTCDataChannel);
  return { media, channel, pc };
}

/** A data connection added to `links`, its channel open. */
function openConnection(links: RoomLinks) {
  const connection = fakeConnection();
  links.add(connection.media);
  connection.channel.open();
  return connection;
}

function listening(links: RoomLinks) {
  const changed = vi.fn();
  const messages: [LineLink, LineMessage][] = [];
  links.listen({ changed, message: (link, message) => messages.push([link, message]) });
  return { changed, messages };
}

describe('control messages', () => {
  it('[R-31] reads each kind of message', () => {
    const messages: LineMessage[] = [
      { t: 'hello', member: PEER },
      { t: 'play', stream: 'cam', conn: 'a1-x' },
      { t: 'stop', stream: 'cam', conn: 'a1-x' },
      { t: 'sending', stream: 'cam', conn: 'a1-x', line: 1, audio: true, video: false },
      { t: 'refuse', stream: 'cam', conn: 'a1-x', code: 'no-line' },
      { t: 'speaking', stream: 'cam', conn: 'a1-x', on: true },
    ];
    for (const message of messages) expect(parseLineMessage(JSON.stringify(message))).toEqual(message);
  });

  it('[R-31] drops what is not a message, whatever it is', () => {
    const junk = [
      'not json',
      'null',
      '[]',
      '"play"',
      JSON.stringify({ t: 'hello', member: 'ann' }),
      JSON.stringify({ t: 'play', stream: 'cam' }),
      JSON.stringify({ t: 'play', stream: 'a b', conn: 'c' }),
      JSON.stringify({ t: 'play', stream: 'cam', conn: 'x'.repeat(65) }),
      JSON.stringify({ t: 'sending', stream: 'cam', conn: 'c', line: 0.5, audio: true, video: true }),
      JSON.stringify({ t: 'sending', stream: 'cam', conn: 'c', line: 0, audio: 'yes', video: true }),
      JSON.stringify({ t: 'refuse', stream: 'cam', conn: 'c', code: '' }),
      JSON.stringify({ t: 'speaking', stream: 'cam', conn: 'c', on: 1 }),
      JSON.stringify({ t: 'offer', stream: 'cam', conn: 'c' }),
      JSON.stringify({ t: 'play', stream: 'cam', conn: 'c', pad: 'x'.repeat(2000) }),
      '{"a":'.repeat(5000) + '1' + '}'.repeat(5000),
    ];
    for (const text of junk) expect(parseLineMessage(text)).toBeNull();
  });
});

describe('RoomLinks', () => {
  it('[R-31] says hello when the channel opens and names the link after the other end\'s hello', () => {
    const links = new RoomLinks(ME);
    const { changed } = listening(links);
    const { media, channel } = fakeConnection();
    const before = performance.now();
    links.add(media);
    expect(links.pending).toBe(true);
    // Told at once: the connection is a member about to be reached (play-forecast.ts).
    expect(changed).toHaveBeenCalledTimes(1);
    expect(links.unnamedSince).toEqual([expect.any(Number)]);
    expect(links.unnamedSince[0]).toBeGreaterThanOrEqual(before);
    channel.open();
    expect(channel.sent.map((text) => JSON.parse(text))).toEqual([{ t: 'hello', member: ME }]);
    expect(links.linkTo(PEER)).toBeUndefined();
    expect(links.namedMembers).toEqual([]);

    channel.receive(JSON.stringify({ t: 'hello', member: PEER }));
    expect(links.pending).toBe(false);
    expect(links.linkTo(PEER)?.memberId).toBe(PEER);
    expect(links.namedMembers).toEqual([PEER]);
    expect(links.unnamedSince).toEqual([]);
    expect(changed).toHaveBeenCalledTimes(2);
  });

  it('[R-31] a link cannot be renamed, nor take this member\'s own id', () => {
    const links = new RoomLinks(ME);
    listening(links);
    const own = openConnection(links);
    own.channel.receive(JSON.stringify({ t: 'hello', member: ME }));
    expect(links.linkTo(ME)).toBeUndefined();
    expect(links.pending).toBe(true);

    const other = openConnection(links);
    other.channel.receive(JSON.stringify({ t: 'hello', member: PEER }));
    other.channel.receive(JSON.stringify({ t: 'hello', member: '3003' }));
    expect(links.linkTo(PEER)?.memberId).toBe(PEER);
    expect(links.linkTo('3003')).toBeUndefined();
  });

  it('[R-31] hands on messages of a named link only, and keeps doing so after junk', () => {
    const links = new RoomLinks(ME);
    const { messages } = listening(links);
    const { channel } = openConnection(links);
    channel.receive(JSON.stringify({ t: 'play', stream: 'cam', conn: 'early' }));
    expect(messages).toEqual([]);
    channel.receive(JSON.stringify({ t: 'hello', member: PEER }));
    channel.receive('{"t":');
    channel.receive(JSON.stringify({ t: 'play', stream: 'cam', conn: 'c1' }));
    expect(messages.map(([link, message]) => [link.memberId, message])).toEqual([[PEER, { t: 'play', stream: 'cam', conn: 'c1' }]]);
  });

  it('[R-31] forgets a link whose connection closed, and tells', () => {
    const links = new RoomLinks(ME);
    const { changed } = listening(links);
    const { media, channel } = openConnection(links);
    channel.receive(JSON.stringify({ t: 'hello', member: PEER }));
    const link = links.linkTo(PEER)!;
    const closed = vi.fn();
    link.onClose(closed);

    media.markClosed();
    expect(links.linkTo(PEER)).toBeUndefined();
    expect(link.usable).toBe(false);
    expect(link.send({ t: 'stop', stream: 'cam', conn: 'c1' })).toBe(false);
    expect(closed).toHaveBeenCalledTimes(1);
    expect(links.namedMembers).toEqual([]);
    expect(changed).toHaveBeenCalledTimes(3); // added, named, closed
  });

  it('[R-31] a connection whose other end never says hello (a stock y-webrtc peer) stops counting as pending', () => {
    vi.useFakeTimers();
    try {
      const links = new RoomLinks(ME);
      const { changed } = listening(links);
      const { media, channel } = fakeConnection();
      links.add(media);
      channel.open();
      expect(links.pending).toBe(true);
      vi.advanceTimersByTime(10_000);
      expect(links.pending).toBe(false);
      expect(changed).toHaveBeenCalled();
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('LineLink lines', () => {
  it('[R-5] hands out each sending line once, and takes it back from the copy that had it only', () => {
    const { media } = fakeConnection();
    const link = new LineLink(PEER, media);
    const taken = Array.from({ length: LINE_COUNT }, (_, i) => link.takeLine(`c${i}`) as MediaLine);
    expect(taken.map((line) => line.index)).toEqual(Array.from({ length: LINE_COUNT }, (_, i) => i));
    expect(taken[0].audio.receiver.track.kind).toBe('audio');
    expect(taken[0].video.receiver.track.kind).toBe('video');
    expect(link.takeLine('c-more')).toBeNull();

    link.releaseLine(0, 'c-other');
    expect(link.takeLine('c-more')).toBeNull();
    link.releaseLine(0, 'c0');
    expect(link.takeLine('c-more')?.index).toBe(0);
  });

  it('[R-30] uses no more lines than it negotiates, whatever the other end offered', () => {
    const { media } = fakeConnection(LINE_COUNT + 2);
    expect(media.lines).toHaveLength(LINE_COUNT);
  });

  it('[R-30] a connection without lines (a stock peer\'s offer) has none to give', () => {
    const { media } = fakeConnection(0);
    expect(new LineLink(PEER, media).takeLine('c1')).toBeNull();
  });
});
