/**
 * The media side of a RoomClient: one RoomMedia per room it is in, one MediaHub for what spans
 * rooms (the upload budget, shared captures), and the events both emit. The client calls in
 * when a room is entered, changes members, or ends; everything else is the public API
 * (publish, play, …) passed through.
 */
import type { RelayLink } from '../rooms/relay-link.js';
import { ErrorCode, RoomError } from '../rooms/errors.js';
import { MediaHub, type TrackKind } from './media-hub.js';
import { RoomMedia, type RoomMediaEvents, type RoomMediaHost, type StreamEvent } from './room-media.js';
import { SignalChannel } from './signal-channel.js';
import { deriveMediaKey } from './room-key.js';
import { MediaStatsWatcher, type ConnectionQualityEvent } from './quality.js';
import { SpeechWatcher } from './speech.js';
import { createHalfTrickleWrtc } from './candidates.js';
import { createCountingWrtc, peerConnectionCount, type PeerConnectionCount } from './peer-connections.js';
import type { StreamKind } from './stream-info.js';
import { mediaLinkOf } from './media-lines.js';
import { RoomLinks } from './line-link.js';
import { NO_TRACE, type Trace } from '../rooms/trace.js';

export interface MediaEvents extends RoomMediaEvents {
  connectionQuality: ConnectionQualityEvent;
}

export interface PublishOptions {
  streamId: string;
  /** camera, screen or audio; guessed from the tracks when left out. */
  kind?: StreamKind;
}

type Emit = <K extends keyof MediaEvents>(event: K, payload: MediaEvents[K]) => void;

interface JoinedRoom {
  media: RoomMedia;
  stats: MediaStatsWatcher;
  speech: SpeechWatcher;
}

export class ClientMedia {
  readonly hub: MediaHub;
  readonly #link: RelayLink;
  readonly #peerOpts: Record<string, unknown>;
  readonly #emit: Emit;
  readonly #trace: Trace;
  readonly #rooms = new Map<string, JoinedRoom>();
  /** The data connections of each room being entered or in, by the member at their other end. */
  readonly #links = new Map<string, RoomLinks>();

  constructor(link: RelayLink, options: { iceServers?: RTCIceServer[]; uploadBudgetBps?: number; trace?: Trace }, emit: Emit) {
    this.#link = link;
    this.#emit = emit;
    this.#trace = options.trace ?? NO_TRACE;
    this.hub = new MediaHub(options.uploadBudgetBps);
    const wrtc = typeof RTCPeerConnection === 'function' ? { wrtc: createHalfTrickleWrtc(createCountingWrtc()) } : {};
    // max-bundle: a media connection (audio, video and simple-peer's data channel) gathers and
    // checks ICE candidates for one transport instead of three, and signals a third of them
    // through the relay. Both ends are this client, so bundling is never refused. Six members
    // entering together measured 5.8–7.1 s to every picture with it, 7.0–10.0 s without
    // (alternating runs; BENCHMARKS.md "Media"). simple-peer merges `config` over its default
    // (which has the STUN servers when no iceServers are given).
    this.#peerOpts = { ...wrtc, config: { bundlePolicy: 'max-bundle', ...(options.iceServers ? { iceServers: options.iceServers } : {}) } };
  }

  /** The room key for a password room's media signals; derive it while the room is entered. */
  static key(password: string | undefined, roomId: string): Promise<CryptoKey | null> {
    return password ? deriveMediaKey(password, roomId) : Promise.resolve(null);
  }

  /** A data connection of a room (y-webrtc's), made from the moment the room is being entered. */
  dataConnection(roomId: string, localMemberId: string, pc: RTCPeerConnection): void {
    const media = mediaLinkOf(pc);
    if (media) this.#linksOf(roomId, localMemberId).add(media);
  }

  join(host: RoomMediaHost, key: CryptoKey | null): void {
    const roomId = host.roomId;
    const media = new RoomMedia(
      host,
      (onSignal) => new SignalChannel(this.#link, roomId, key, host.localMemberId, onSignal),
      this.#linksOf(roomId, host.localMemberId),
      this.hub.budget,
      this.#peerOpts,
      (event, payload) => this.#emit(event, payload as MediaEvents[typeof event]),
      this.#trace,
    );
    const stats = new MediaStatsWatcher(roomId, () => media.playing, (event) => this.#emit('connectionQuality', event));
    const speech = new SpeechWatcher(() => media.sendingAudio, (streamId, speaking) => media.setSpeaking(streamId, speaking));
    this.#rooms.set(roomId, { media, stats, speech });
    this.hub.attach(media);
  }

  /** This room's publishing and playing end; other rooms' media keeps flowing [R-14]. */
  leave(roomId: string): void {
    this.#links.get(roomId)?.close();
    this.#links.delete(roomId);
    const joined = this.#rooms.get(roomId);
    if (!joined) return;
    this.#rooms.delete(roomId);
    joined.stats.stop();
    joined.speech.stop();
    joined.media.close();
    this.hub.detach(roomId);
  }

  membersChanged(roomId: string): void {
    this.#rooms.get(roomId)?.media.membersChanged();
  }

  streams(roomId: string): StreamEvent[] {
    return this.#rooms.get(roomId)?.media.streams ?? [];
  }

  publish(roomId: string, stream: MediaStream, options: PublishOptions): void {
    this.#media(roomId).publish(stream, options?.streamId, options?.kind);
    this.hub.published(stream);
  }

  unpublish(roomId: string, streamId: string): void {
    this.#media(roomId).unpublish(streamId);
    this.hub.unpublished();
  }

  play(roomId: string, streamId: string): MediaStream {
    return this.#media(roomId).play(streamId);
  }

  stopPlaying(roomId: string, streamId: string): void {
    this.#media(roomId).stopPlaying(streamId);
  }

  setTrackEnabled(stream: MediaStream, kind: TrackKind, enabled: boolean): void {
    this.hub.setTrackEnabled(stream, kind, enabled);
  }

  switchDevice(stream: MediaStream, kind: TrackKind, deviceId: string): Promise<void> {
    return this.hub.switchDevice(stream, kind, deviceId);
  }

  /** This room's media connections, optionally of one stream (for stats and tests). */
  peerConnections(roomId: string, streamId?: string): { outgoing: RTCPeerConnection[]; incoming: RTCPeerConnection[] } {
    return this.#media(roomId).peerConnections(streamId);
  }

  /** Every RTCPeerConnection of this page, data and media (Chromium's ~500 limit, DESIGN.md §2). */
  get peerConnectionCount(): PeerConnectionCount {
    return peerConnectionCount();
  }

  #linksOf(roomId: string, localMemberId: string): RoomLinks {
    let links = this.#links.get(roomId);
    if (!links) this.#links.set(roomId, (links = new RoomLinks(localMemberId)));
    return links;
  }

  #media(roomId: string): RoomMedia {
    const joined = this.#rooms.get(roomId);
    if (!joined) throw new RoomError(ErrorCode.NOT_IN_ROOM, `not in room "${roomId}"`, roomId);
    return joined.media;
  }
}
