/**
 * A room's media [R-30][R-31][R-53]: the streams this member publishes into it, the remote
 * streams it plays, and the signaling between them. It sees the room only through
 * RoomMediaHost, so leaving a room ends this room's media and nothing else.
 *
 * A stream goes to a player on a line of the room's data connection to it when there is one
 * (media-lines.ts: asked and answered on its control channel, line-link.ts), and otherwise on
 * a media connection of its own, signaled over the relay (player.ts says when).
 */
import { ErrorCode, RoomError } from '../rooms/errors.js';
import type { Member, Role } from '../rooms/members.js';
import type { MediaSignal } from './signals.js';
import type { SignalChannel } from './signal-channel.js';
import { Outgoing, describeCopy, type SendingCopy } from './outgoing.js';
import { LineOutgoing } from './line-outgoing.js';
import type { LineLink, LineMessage, RoomLinks } from './line-link.js';
import { Player, type PlayerState } from './player.js';
import type { UploadBudget } from './upload-budget.js';
import { comingCopies, type ComingCopy } from './play-forecast.js';
import { NO_TRACE, type Trace } from '../rooms/trace.js';
import type { SendingAudio, SpeakingEvent } from './speech.js';
import type { PlayingConnection } from './quality.js';
import { MAX_STREAMS_PER_MEMBER, assertStreamId, describeStream, sameStream, type StreamInfo, type StreamKind } from './stream-info.js';

export interface RoomMediaHost {
  readonly roomId: string;
  readonly localMemberId: string;
  /** Everyone in the room as it stands (the kicked already dropped), this member included. */
  members(): Member[];
  localRole(): Role;
  /** Tells the room which streams this member publishes (its awareness state). */
  announce(streams: StreamInfo[]): void;
  /**
   * Whether some members of the room may be reached without a data connection (tabs of this
   * browser, which y-webrtc reaches over BroadcastChannel): a player then does not wait for one.
   */
  hasSameBrowserPeers(): boolean;
}

export interface StreamEvent extends StreamInfo {
  roomId: string;
  memberId: string;
}

/** `requesting`: announced, nobody plays it yet (nothing is sent); `playing`: sent to `receivers`. */
export interface PublisherStateEvent {
  roomId: string;
  streamId: string;
  state: PlayerState;
  receivers: number;
  reason: string;
}

export interface PlayerStateEvent {
  roomId: string;
  streamId: string;
  memberId: string;
  state: PlayerState;
  reason: string;
}

export interface RoomMediaEvents {
  streamAdded: StreamEvent;
  streamRemoved: StreamEvent;
  streamUpdated: StreamEvent;
  publisherState: PublisherStateEvent;
  playerState: PlayerStateEvent;
  /** A played stream's microphone started or stopped hearing speech, as its publisher measures it. */
  speaking: SpeakingEvent;
}

interface Published {
  stream: MediaStream;
  kind: StreamKind;
  /** Keyed by player member id: at most one copy per player. */
  outgoing: Map<string, SendingCopy>;
  /** Its microphone hears speech (speech.ts); told to every player. */
  speaking: boolean;
  /** Players served before: a request of theirs now is a retry (upload-budget.ts, settling). */
  served: Set<string>;
  /** When it was published (performance.now()), for the play forecast (play-forecast.ts). */
  since: number;
}

type Emit = <K extends keyof RoomMediaEvents>(event: K, payload: RoomMediaEvents[K]) => void;

/**
 * How long a play request from a member this room does not list yet waits for it. A newcomer
 * sees our streams as soon as our awareness reaches it, and its request (over the relay) can
 * overtake its own awareness on the way to us (a data channel delivers only once open at our
 * end); refused at once, it paid the player's retry pause and a second trip: ~1 s of a
 * four-person room's start in the benchmark (BENCHMARKS.md "Media").
 */
const UNKNOWN_PLAYER_WAIT_MS = 3000;
/** Requests waiting that way at once; more are refused (anyone on the topic can send them). */
const MAX_WAITING_REQUESTS = 32;

export class RoomMedia {
  readonly #host: RoomMediaHost;
  readonly #channel: SignalChannel;
  readonly #links: RoomLinks;
  readonly #budget: UploadBudget;
  readonly #peerOpts: Record<string, unknown>;
  readonly #emit: Emit;
  readonly #trace: Trace;
  readonly #published = new Map<string, Published>();
  /** Keyed `${publisherId}/${streamId}`. */
  readonly #players = new Map<string, Player>();
  /** Remote streams as last announced, keyed like players. */
  #remote = new Map<string, StreamEvent>();
  /** When each remote member became known here (performance.now()), for the play forecast. */
  readonly #knownSince = new Map<string, number>();
  readonly #stopForecast: () => void;
  /** Play requests from members not listed yet, keyed like players (player id first). */
  readonly #waiting = new Map<string, { playerId: string; streamId: string; conn: string; link: LineLink | null; timer: ReturnType<typeof setTimeout> }>();
  #closed = false;

  constructor(
    host: RoomMediaHost,
    channel: (onSignal: (signal: MediaSignal) => void) => SignalChannel,
    links: RoomLinks,
    budget: UploadBudget,
    peerOpts: Record<string, unknown>,
    emit: Emit,
    trace: Trace = NO_TRACE,
  ) {
    this.#host = host;
    this.#trace = trace;
    this.#budget = budget;
    this.#peerOpts = peerOpts;
    this.#emit = emit;
    this.#channel = channel((signal) => this.#onSignal(signal));
    this.#links = links;
    this.#stopForecast = budget.forecast((now) => this.#comingCopies(now));
    links.listen({
      changed: () => {
        for (const player of this.#players.values()) player.routesChanged();
        // A connection came, was named or went: who is about to play may have changed.
        this.#noteKnown(this.#host.members());
        if (this.#published.size > 0) this.#budget.replan();
      },
      message: (link, message) => this.#onLineMessage(link, message),
    });
    this.membersChanged();
  }

  get roomId(): string {
    return this.#host.roomId;
  }

  /** Remote streams now announced in the room. */
  get streams(): StreamEvent[] {
    return [...this.#remote.values()];
  }

  /** This member's published streams. */
  get localStreams(): StreamInfo[] {
    return [...this.#published].map(([streamId, { stream, kind }]) => describeStream(streamId, stream, kind));
  }

  isPublishing(stream: MediaStream): boolean {
    return [...this.#published.values()].some((published) => published.stream === stream);
  }

  publish(stream: MediaStream, streamId: string, kind?: StreamKind): void {
    const roomId = this.#host.roomId;
    assertStreamId(streamId, roomId);
    if (!(stream instanceof MediaStream) || stream.getTracks().every((track) => track.readyState !== 'live')) {
      throw new RoomError(ErrorCode.INVALID_STREAM, 'publish needs a MediaStream with a live track', roomId);
    }
    if (this.#host.localRole() === 'audience') throw new RoomError(ErrorCode.ROLE_FORBIDDEN, 'the audience cannot publish', roomId);
    if (this.#published.has(streamId) || [...this.#remote.values()].some((remote) => remote.streamId === streamId)) {
      throw new RoomError(ErrorCode.STREAM_ID_TAKEN, `a stream "${streamId}" is already published in this room`, roomId);
    }
    if (this.#published.size >= MAX_STREAMS_PER_MEMBER) {
      throw new RoomError(ErrorCode.INVALID_STREAM, `at most ${MAX_STREAMS_PER_MEMBER} streams per member and room`, roomId);
    }
    this.#published.set(streamId, { stream, kind: describeStream(streamId, stream, kind).kind, outgoing: new Map(), speaking: false, served: new Set(), since: performance.now() });
    this.#budget.replan(); // the members here are about to play it
    this.announce();
    this.#emitPublisherState(streamId, 'published');
  }

  unpublish(streamId: string, reason = 'unpublished'): void {
    const published = this.#published.get(streamId);
    if (!published) throw new RoomError(ErrorCode.STREAM_NOT_FOUND, `no stream "${streamId}" published here`, this.#host.roomId);
    this.#published.delete(streamId);
    for (const outgoing of published.outgoing.values()) this.#closeOutgoing(outgoing);
    this.#budget.replan(); // nobody is about to play it any more
    this.announce();
    this.#emit('publisherState', { roomId: this.#host.roomId, streamId, state: 'stopped', receivers: 0, reason });
  }

  /** Unpublishes every stream id under which `stream` is published here. */
  unpublishStream(stream: MediaStream, reason: string): void {
    for (const [streamId, published] of [...this.#published]) if (published.stream === stream) this.unpublish(streamId, reason);
  }

  /** Published microphones and, for each that somebody plays, one sender carrying it (speech.ts). */
  get sendingAudio(): SendingAudio[] {
    return [...this.#published].flatMap(([streamId, { outgoing }]) => {
      const sender = [...outgoing.values()].find((copy) => copy.connected)?.audioSender;
      return sender ? [{ streamId, sender }] : [];
    });
  }

  /** Tells the players of a published stream whether its microphone hears speech. */
  setSpeaking(streamId: string, speaking: boolean): void {
    const published = this.#published.get(streamId);
    if (!published || published.speaking === speaking) return;
    published.speaking = speaking;
    for (const copy of published.outgoing.values()) copy.setSpeaking(speaking);
  }

  /** Re-announces this member's streams (after mute/unmute or a device switch). */
  announce(): void {
    if (this.#closed) return;
    // A microphone turned off is quiet at once, not after the speech detector's hold.
    for (const [streamId, { stream }] of this.#published) if (!stream.getAudioTracks().some((track) => track.enabled)) this.setSpeaking(streamId, false);
    this.#host.announce(this.localStreams);
  }

  /**
   * The stream to show: a remote one is asked for and arrives in the returned MediaStream
   * (playerState says when); this member's own is returned as it is (self view).
   */
  play(streamId: string): MediaStream {
    const own = this.#published.get(streamId);
    if (own) return own.stream;
    const remote = [...this.#remote.values()].find((candidate) => candidate.streamId === streamId);
    if (!remote) throw new RoomError(ErrorCode.STREAM_NOT_FOUND, `no stream "${streamId}" in this room`, this.#host.roomId);
    const key = streamKey(remote.memberId, streamId);
    const existing = this.#players.get(key);
    if (existing) return existing.stream;
    const player: Player = new Player({
      streamId,
      peerOpts: this.#peerOpts,
      route: () => this.#links.linkTo(remote.memberId) ?? (this.#links.pending || !this.#host.hasSameBrowserPeers() ? 'wait' : null),
      trace: this.#traceFor('receive', remote.memberId, streamId),
      send: (message, conn) => this.#channel.send({ ...message, from: this.#host.localMemberId, to: remote.memberId, stream: streamId, conn }),
      stateChanged: (state, reason) => {
        this.#emit('playerState', { roomId: this.#host.roomId, streamId, memberId: remote.memberId, state, reason });
        if (state === 'failed' || state === 'stopped') this.#budget.settled(player); // its first attempt only (upload-budget.ts)
        if (state === 'stopped' && this.#players.get(key) === player) this.#players.delete(key);
      },
      speakingChanged: (speaking) => this.#emit('speaking', { roomId: this.#host.roomId, memberId: remote.memberId, streamId, speaking }),
      connected: () => this.#budget.settled(player),
    });
    this.#players.set(key, player);
    this.#budget.connecting(player);
    return player.stream;
  }

  stopPlaying(streamId: string): void {
    const entry = [...this.#players].find(([key]) => key.endsWith(`/${streamId}`));
    if (!entry) throw new RoomError(ErrorCode.STREAM_NOT_FOUND, `not playing "${streamId}"`, this.#host.roomId);
    entry[1].stop();
  }

  /** Peer connections of this room's media, both ways, optionally of one stream (for stats and tests). */
  peerConnections(streamId?: string): { outgoing: RTCPeerConnection[]; incoming: RTCPeerConnection[] } {
    const outgoing = [...this.#published]
      .filter(([id]) => streamId === undefined || id === streamId)
      .flatMap(([, published]) => [...published.outgoing.values()].map((copy) => copy.peerConnection));
    const incoming = [...this.#players.values()]
      .filter((player) => streamId === undefined || player.streamId === streamId)
      .flatMap((player) => player.peerConnection ?? []);
    return { outgoing, incoming };
  }

  /** Playing players, by publisher, for stats. */
  get playing(): PlayingConnection[] {
    return [...this.#players].flatMap(([key, player]) =>
      player.state === 'playing' ? [{ memberId: key.slice(0, key.indexOf('/')), streamId: player.streamId, source: player, stats: () => player.stats() }] : [],
    );
  }

  async replaceTrack(old: MediaStreamTrack, replacement: MediaStreamTrack): Promise<void> {
    const copies = [...this.#published.values()].flatMap((published) => [...published.outgoing.values()]);
    await Promise.all(copies.map((copy) => copy.replaceTrack(old, replacement)));
  }

  /**
   * Reconciles with the room's members: announces stream changes, stops players of streams
   * that are gone, closes connections to members who are gone, and stops publishing when this
   * member has become audience.
   */
  membersChanged(): void {
    if (this.#closed) return;
    const members = this.#host.members();
    if (this.#host.localRole() === 'audience') for (const streamId of [...this.#published.keys()]) this.unpublish(streamId, 'role');
    const next = new Map<string, StreamEvent>();
    for (const member of members) {
      if (member.isLocal) continue;
      for (const info of member.streams) next.set(streamKey(member.memberId, info.streamId), { roomId: this.#host.roomId, memberId: member.memberId, ...info });
    }
    const previous = this.#remote;
    this.#remote = next;
    for (const [key, stream] of previous) {
      if (next.has(key)) continue;
      this.#players.get(key)?.stop('stream-removed');
      this.#emit('streamRemoved', stream);
    }
    for (const [key, stream] of next) {
      const before = previous.get(key);
      if (!before) {
        this.#trace('stream-seen', { roomId: this.#host.roomId, peer: stream.memberId, stream: stream.streamId });
        this.#emit('streamAdded', stream);
      } else if (!sameStream(before, stream)) this.#emit('streamUpdated', stream);
    }
    const present = new Set(members.map((member) => member.memberId));
    if (this.#noteKnown(members) && this.#published.size > 0) this.#budget.replan();
    for (const published of this.#published.values()) {
      for (const outgoing of published.outgoing.values()) if (!present.has(outgoing.playerId)) this.#closeOutgoing(outgoing);
    }
    for (const [key, { playerId, streamId, conn, link, timer }] of this.#waiting) {
      if (!present.has(playerId)) continue;
      clearTimeout(timer);
      this.#waiting.delete(key);
      this.#serve(playerId, streamId, conn, link);
    }
  }

  /** Leaving the room: every connection of it closed, nothing announced any more. */
  close(): void {
    if (this.#closed) return;
    for (const player of this.#players.values()) player.stop('left');
    for (const streamId of [...this.#published.keys()]) this.unpublish(streamId, 'left');
    for (const { timer } of this.#waiting.values()) clearTimeout(timer);
    this.#waiting.clear();
    this.#closed = true;
    this.#stopForecast();
    this.#links.listen(null);
    this.#channel.close();
  }

  #onSignal(signal: MediaSignal): void {
    if (this.#closed) return;
    if (signal.t === 'play') return this.#serve(signal.from, signal.stream, signal.conn, null);
    const published = this.#published.get(signal.stream);
    const outgoing = published?.outgoing.get(signal.from);
    if (outgoing?.conn === signal.conn) {
      if (signal.t === 'stop') this.#closeOutgoing(outgoing);
      else if (signal.t === 'signal' && outgoing instanceof Outgoing) outgoing.receiveSignal(signal.data);
      return;
    }
    const player = this.#players.get(streamKey(signal.from, signal.stream));
    if (player && (signal.t === 'signal' || signal.t === 'refuse')) player.receive(signal.conn, signal);
  }

  /** A control message on a data connection: a player's request or stop, or a publisher's answer. */
  #onLineMessage(link: LineLink, message: Exclude<LineMessage, { t: 'hello' }>): void {
    if (this.#closed) return;
    if (message.t === 'play') return this.#serve(link.memberId, message.stream, message.conn, link);
    if (message.t === 'stop') {
      const outgoing = this.#published.get(message.stream)?.outgoing.get(link.memberId);
      if (outgoing?.conn === message.conn) this.#closeOutgoing(outgoing);
      return;
    }
    this.#players.get(streamKey(link.memberId, message.stream))?.receiveLine(link, message);
  }

  /**
   * A member asks for one of this member's streams, over the relay or on the data connection
   * `link`: a new copy replaces any older one.
   */
  #serve(playerId: string, streamId: string, conn: string, link: LineLink | null): void {
    const published = this.#published.get(streamId);
    const refuse = (code: string): void => {
      if (link) link.send({ t: 'refuse', stream: streamId, conn, code });
      else this.#channel.send({ t: 'refuse', from: this.#host.localMemberId, to: playerId, stream: streamId, conn, code });
    };
    if (!published) return refuse('not-found');
    // Only members this room lists (kicked ones are not) get media; one not listed yet may
    // still be on its way (UNKNOWN_PLAYER_WAIT_MS).
    if (!this.#host.members().some((member) => member.memberId === playerId && !member.isLocal)) return this.#awaitPlayer(playerId, streamId, conn, link, refuse);
    const previous = published.outgoing.get(playerId);
    if (previous) this.#closeOutgoing(previous);
    const outgoing = link ? this.#lineCopy(link, published, streamId, conn) : this.#ownConnectionCopy(playerId, published, streamId, conn);
    if (!outgoing) return refuse('no-line');
    outgoing.setSpeaking(published.speaking);
    published.outgoing.set(playerId, outgoing);
    this.#budget.add(outgoing, !published.served.has(playerId));
    published.served.add(playerId);
    this.#trace('play-in', { roomId: this.#host.roomId, peer: playerId, stream: streamId, conn, line: link !== null });
  }

  /** The copy on a free line of the data connection to its player; null when none is free. */
  #lineCopy(link: LineLink, published: Published, streamId: string, conn: string): LineOutgoing | null {
    const line = link.takeLine(conn);
    if (!line) return null;
    const outgoing: LineOutgoing = new LineOutgoing({
      playerId: link.memberId,
      conn,
      streamId,
      stream: published.stream,
      kind: published.kind,
      link,
      line,
      onSending: () => {
        this.#budget.settled(outgoing);
        this.#emitPublisherState(streamId, 'receiver-connected');
      },
      onEnded: () => {
        if (published.outgoing.get(link.memberId) === outgoing) this.#closeOutgoing(outgoing);
      },
    });
    return outgoing;
  }

  /** The copy on a media connection of its own, which this end offers over the relay. */
  #ownConnectionCopy(playerId: string, published: Published, streamId: string, conn: string): Outgoing {
    const outgoing: Outgoing = new Outgoing({
      playerId,
      conn,
      stream: published.stream,
      kind: published.kind,
      peerOpts: this.#peerOpts,
      trace: this.#traceFor('send', playerId, streamId),
      signal: (data) => this.#channel.send({ t: 'signal', from: this.#host.localMemberId, to: playerId, stream: streamId, conn, data }),
      onConnected: () => {
        this.#budget.settled(outgoing);
        this.#emitPublisherState(streamId, 'receiver-connected');
      },
      onEnded: () => {
        if (published.outgoing.get(playerId) === outgoing) this.#closeOutgoing(outgoing);
      },
    });
    return outgoing;
  }

  /**
   * Notes members known for the first time (listed, or named by their data connection) and
   * forgets those gone, for the play forecast; true when either happened.
   */
  #noteKnown(members: Member[]): boolean {
    const known = new Set(this.#links.namedMembers);
    for (const member of members) if (!member.isLocal) known.add(member.memberId);
    let changed = false;
    for (const memberId of this.#knownSince.keys()) {
      if (known.has(memberId)) continue;
      this.#knownSince.delete(memberId);
      changed = true;
    }
    const now = performance.now();
    for (const memberId of known) {
      if (this.#knownSince.has(memberId)) continue;
      this.#knownSince.set(memberId, now);
      changed = true;
    }
    return changed;
  }

  /** This room's copies the upload budget should leave room for before they are asked for. */
  #comingCopies(now: number): ComingCopy[] {
    const streams = [...this.#published.values()].map(({ stream, kind, since, outgoing }) => ({ copy: describeCopy(stream, kind), since, receivers: outgoing }));
    return comingCopies(streams, { knownSince: this.#knownSince, linked: new Set(this.#links.namedMembers), unnamedSince: this.#links.unnamedSince }, now);
  }

  /** Serves the request once its player is listed (membersChanged), or refuses it. */
  #awaitPlayer(playerId: string, streamId: string, conn: string, link: LineLink | null, refuse: (code: string) => void): void {
    const key = streamKey(playerId, streamId);
    const earlier = this.#waiting.get(key);
    if (earlier) clearTimeout(earlier.timer);
    else if (this.#waiting.size >= MAX_WAITING_REQUESTS) return refuse('not-member');
    const timer = setTimeout(() => {
      if (this.#waiting.get(key)?.timer !== timer) return;
      this.#waiting.delete(key);
      refuse('not-member');
    }, UNKNOWN_PLAYER_WAIT_MS);
    this.#waiting.set(key, { playerId, streamId, conn, link, timer });
  }

  /** A media connection's trace: which room, stream, other member and way it concerns. */
  #traceFor(side: 'send' | 'receive', peer: string, stream: string): ((event: string, detail?: Record<string, unknown>) => void) | undefined {
    const trace = this.#trace;
    if (trace === NO_TRACE) return undefined;
    const roomId = this.#host.roomId;
    return (event, detail) => trace(event, { roomId, peer, stream, side, ...detail });
  }

  #closeOutgoing(outgoing: SendingCopy): void {
    for (const [streamId, published] of this.#published) {
      if (published.outgoing.get(outgoing.playerId) !== outgoing) continue;
      published.outgoing.delete(outgoing.playerId);
      this.#emitPublisherState(streamId, 'receiver-left');
    }
    this.#budget.remove(outgoing);
    outgoing.close();
  }

  #emitPublisherState(streamId: string, reason: string): void {
    const published = this.#published.get(streamId);
    if (!published) return;
    // Counted by simple-peer's connect, the event that called us: at that moment the pc's
    // connectionState may still say `connecting`, and no later event would correct the count.
    const receivers = [...published.outgoing.values()].filter((copy) => copy.connected).length;
    this.#emit('publisherState', { roomId: this.#host.roomId, streamId, state: receivers > 0 ? 'playing' : 'requesting', receivers, reason });
  }
}

function streamKey(memberId: string, streamId: string): string {
  return `${memberId}/${streamId}`;
}
