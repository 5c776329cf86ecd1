/**
 * One room: one Y.Doc synchronized by one y-webrtc provider, one state machine, and the
 * member list derived from awareness. The client (client.ts) decides when a room starts
 * and ends; a Room only reports what happens to it.
 */
import * as Y from 'yjs';
import { WebrtcProvider } from 'y-webrtc';
import { RoomStateMachine, type StateChange, type StateReason } from './room-state.js';
import { leaveReason, toMember, type AwarenessState, type LeaveReason, type Member, type Role } from './members.js';
import type { User } from './validation.js';

export interface RoomOptions {
  roomId: string;
  user: User;
  role: Role;
  signalingUrls: string[];
  password?: string;
  /** simple-peer options (ICE servers, our data-channel wrapper). */
  peerOpts: Record<string, unknown>;
}

export interface RoomCallbacks {
  stateChanged(change: StateChange): void;
  membersJoined(members: Member[]): void;
  membersLeft(members: Member[], reason: LeaveReason): void;
}

/** y-webrtc's signaling socket (a lib0 WebsocketClient), as far as we use it. */
interface SignalingSocket {
  connected: boolean;
  send(message: unknown): void;
  on(event: 'connect' | 'disconnect', listener: () => void): void;
  on(event: 'message', listener: (message: { type?: string }) => void): void;
  off(event: string, listener: (...args: never[]) => void): void;
}

/** Every peer in a room connects to every other: rooms are full meshes. */
const FULL_MESH_MAX_CONNS = 64;
const HANDOFF_TIMEOUT_MS = 5000;

export class Room {
  readonly roomId: string;
  readonly doc = new Y.Doc();
  readonly machine: RoomStateMachine;
  #provider: WebrtcProvider | null = null;
  readonly #members = new Map<number, Member>();
  readonly #options: RoomOptions;
  readonly #callbacks: RoomCallbacks;

  constructor(options: RoomOptions, callbacks: RoomCallbacks, log?: (line: string) => void) {
    this.roomId = options.roomId;
    this.#options = options;
    this.#callbacks = callbacks;
    this.machine = new RoomStateMachine(options.roomId, callbacks.stateChanged, log);
  }

  get members(): Member[] {
    return [...this.#members.values()];
  }

  /**
   * Opens the provider and resolves once the relay carries this room's signaling: the state is
   * then connected(entered). Rejects (and leaves the room disconnected) if that does not happen.
   */
  async start(reason: 'entering' | 'switching', timeoutMs: number): Promise<void> {
    this.machine.set('connecting', reason);
    const provider = new WebrtcProvider(this.roomId, this.doc, {
      signaling: this.#options.signalingUrls,
      password: this.#options.password,
      maxConns: FULL_MESH_MAX_CONNS,
      peerOpts: this.#options.peerOpts,
    });
    this.#provider = provider;
    const awareness = provider.awareness;
    awareness.on('change', this.#onAwarenessChange);
    const state: AwarenessState = { user: this.#options.user, role: this.#options.role, joinedAt: Date.now() };
    awareness.setLocalState(state);
    this.#recordLocal();
    await this.#signalingReady(provider, timeoutMs);
    this.machine.set('connected', 'entered');
    // Members already present are reported on entry; those seen so far are reported
    // by the awareness handler as they arrive.
  }

  /**
   * Resolves once the relay has processed this room's subscription on y-webrtc's own socket:
   * a `ping` sent after it is answered after it. Until then the client keeps its presence
   * membership (relay-link.ts) so the room never looks empty to the relay.
   */
  async subscribed(timeoutMs = HANDOFF_TIMEOUT_MS): Promise<void> {
    const socket = this.#signalingSocket();
    if (!socket?.connected) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      function onMessage(message: { type?: string }) {
        if (message.type === 'pong') done();
      }
      function done() {
        clearTimeout(timer);
        socket!.off('message', onMessage);
        resolve();
      }
      socket.on('message', onMessage);
      socket.send({ type: 'ping' });
    });
  }

  /**
   * Leaves for real: the provider is destroyed (its awareness removal tells the others at once)
   * and the tab-wide y-webrtc room registry forgets the name, so entering again works
   * (DESIGN.md §2: two providers for one name throw inside a promise).
   */
  async stop(reason: StateReason): Promise<void> {
    const provider = this.#provider;
    this.#provider = null;
    if (provider) {
      provider.awareness.off('change', this.#onAwarenessChange);
      provider.destroy();
      // destroy() removes the room from y-webrtc's registry in a callback on the same key
      // promise; awaiting it afterwards runs after that callback.
      await provider.key;
    }
    this.doc.destroy();
    this.#members.clear();
    if (this.machine.isLive) this.machine.set('disconnected', reason);
  }

  #signalingSocket(): SignalingSocket | undefined {
    return (this.#provider?.signalingConns as SignalingSocket[] | undefined)?.[0];
  }

  #signalingReady(provider: WebrtcProvider, timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const sockets = provider.signalingConns as SignalingSocket[];
      const check = () => {
        if (provider.room && sockets.some((socket) => socket.connected)) finish();
      };
      const timer = setTimeout(() => finish(new Error('relay unreachable')), timeoutMs);
      const finish = (error?: Error) => {
        clearTimeout(timer);
        for (const socket of sockets) socket.off('connect', check);
        provider.off('status', check);
        if (error) reject(error);
        else resolve();
      };
      for (const socket of sockets) socket.on('connect', check);
      provider.on('status', check);
      void Promise.resolve(provider.key).then(check);
    });
  }

  #recordLocal(): void {
    const awareness = this.#provider!.awareness;
    const member = toMember(awareness.clientID, awareness.getLocalState(), awareness.clientID);
    if (member) this.#members.set(awareness.clientID, member);
  }

  readonly #onAwarenessChange = (
    { added, updated, removed }: { added: number[]; updated: number[]; removed: number[] },
    origin: unknown,
  ): void => {
    const awareness = this.#provider?.awareness;
    if (!awareness) return;
    const joined: Member[] = [];
    for (const clientId of [...added, ...updated]) {
      if (this.#members.has(clientId) || clientId === awareness.clientID) continue;
      const member = toMember(clientId, awareness.getStates().get(clientId), awareness.clientID);
      if (member) {
        this.#members.set(clientId, member);
        joined.push(member);
      }
    }
    const left: Member[] = [];
    for (const clientId of removed) {
      const member = this.#members.get(clientId);
      if (member && !member.isLocal) {
        this.#members.delete(clientId);
        left.push(member);
      }
    }
    if (joined.length > 0) this.#callbacks.membersJoined(joined);
    if (left.length > 0) this.#callbacks.membersLeft(left, leaveReason(origin));
  };
}
