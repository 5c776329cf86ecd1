/**
 * What the UI shows of one room: a runes mirror of the room client's snapshot and events
 * (DESIGN.md §1: core events → state/*.svelte.ts → components). Snapshots are replaced whole
 * ($state.raw), so a component re-renders when a list changes, not on every field of it.
 */
import type { ChatMessage, Member, RoomState, StateReason, ConnectionQualityEvent, StreamEvent, PlayerState, RoomClient } from '$lib/index';

/** A member attribute: the hand is raised while it is set [R-22]. */
export const HAND_RAISED = 'hand';
/** The room attribute the host edits as the room's topic [R-21]. */
export const TOPIC = 'topic';

export interface RemoteStream extends StreamEvent {
  /** The stream as this tab plays it: one object for the stream's life, tracks swapped in on reconnection. */
  media: MediaStream | null;
  playerState: PlayerState | null;
}

export class RoomView {
  readonly roomId: string;
  readonly #client: RoomClient;

  state = $state<RoomState>('connecting');
  reason = $state<StateReason>('entering');
  members = $state.raw<Member[]>([]);
  messages = $state.raw<ChatMessage[]>([]);
  attributes = $state.raw<Record<string, string>>({});
  streams = $state.raw<RemoteStream[]>([]);
  /** Member ids shown as speaking right now [R-53]. */
  speaking = $state.raw<ReadonlySet<string>>(new Set());
  quality = $state.raw<ReadonlyMap<string, ConnectionQualityEvent>>(new Map());
  /** Messages that arrived while this room's chat was not on screen. */
  unread = $state(0);
  chatVisible = $state(false);
  /** This room's incoming sound muted by me (theirs, not mine). */
  incomingMuted = $state(false);
  /** Incoming sound lowered (a student's main room while they are in a breakout group [R-60]). */
  incomingVolume = $state(1);
  /** The stream this tab publishes here (its own clone of the shared capture), if any. */
  localStream = $state.raw<MediaStream | null>(null);
  micOn = $state(true);
  cameraOn = $state(true);

  readonly me = $derived(this.members.find((member) => member.isLocal) ?? null);
  readonly isHost = $derived(this.me?.role === 'host');
  readonly topic = $derived(this.attributes[TOPIC] ?? '');

  constructor(client: RoomClient, roomId: string) {
    this.#client = client;
    this.roomId = roomId;
    this.refresh();
  }

  /** Re-reads the whole snapshot: after entering, and whenever members or attributes change. */
  refresh(): void {
    const snapshot = this.#client.room(this.roomId);
    if (!snapshot) return;
    if (snapshot.state) this.state = snapshot.state;
    this.members = snapshot.members;
    this.attributes = snapshot.attributes;
    this.messages = snapshot.messages;
    this.#syncStreams(snapshot.streams);
  }

  refreshMessages(): void {
    const snapshot = this.#client.room(this.roomId);
    if (!snapshot) return;
    const added = snapshot.messages.length - this.messages.length;
    this.messages = snapshot.messages;
    if (added > 0 && !this.chatVisible) this.unread += added;
  }

  setChatVisible(visible: boolean): void {
    this.chatVisible = visible;
    if (visible) this.unread = 0;
  }

  memberName(memberId: string): string {
    return this.members.find((member) => member.memberId === memberId)?.userName ?? '';
  }

  setSpeaking(memberId: string, speaking: boolean): void {
    const next = new Set(this.speaking);
    if (speaking) next.add(memberId);
    else next.delete(memberId);
    this.speaking = next;
  }

  setQuality(event: ConnectionQualityEvent): void {
    this.quality = new Map(this.quality).set(event.memberId, event);
  }

  setPlayerState(streamId: string, state: PlayerState): void {
    this.streams = this.streams.map((stream) => (stream.streamId === streamId ? { ...stream, playerState: state } : stream));
  }

  /**
   * Keeps one entry per announced stream and plays every one of them: a small room shows
   * everybody. A stream that goes away is stopped so its connection is released.
   */
  #syncStreams(announced: StreamEvent[]): void {
    const previous = new Map(this.streams.map((stream) => [stream.streamId, stream]));
    const next: RemoteStream[] = announced.map((info) => {
      const known = previous.get(info.streamId);
      previous.delete(info.streamId);
      return { ...info, media: known?.media ?? this.#play(info.streamId), playerState: known?.playerState ?? null };
    });
    for (const gone of previous.values()) void this.#client.stopPlaying(this.roomId, gone.streamId).catch(() => undefined);
    this.streams = next;
  }

  #play(streamId: string): MediaStream | null {
    try {
      return this.#client.play(this.roomId, streamId);
    } catch {
      return null; // left meanwhile, or the stream went away: the next refresh settles it
    }
  }
}
