/**
 * Media across all of a client's rooms. A camera published into two rooms is one capture, not
 * two: the rooms share the MediaStream, so muting it, switching its device or its end
 * (the browser's "stop sharing", a camera unplugged) reaches every room it is in from here.
 */
import { ErrorCode, RoomError } from '../rooms/errors.js';
import { audioConstraints, mediaError, videoConstraints } from './devices.js';
import type { RoomMedia } from './room-media.js';
import { UploadBudget } from './upload-budget.js';

export type TrackKind = 'audio' | 'video';

export class MediaHub {
  readonly budget: UploadBudget;
  readonly #rooms = new Map<string, RoomMedia>();
  /** Streams whose track ends we follow, with the listener to remove. */
  readonly #watched = new Map<MediaStream, () => void>();

  constructor(uploadBudgetBps?: number) {
    this.budget = new UploadBudget(uploadBudgetBps);
  }

  attach(media: RoomMedia): void {
    this.#rooms.set(media.roomId, media);
  }

  detach(roomId: string): void {
    this.#rooms.delete(roomId);
    this.#forgetUnpublished();
  }

  /** Call after publishing `stream` somewhere: follows its tracks' end from now on. */
  published(stream: MediaStream): void {
    if (this.#watched.has(stream)) return;
    const onEnded = () => this.#trackEnded(stream);
    const tracks = stream.getTracks();
    for (const track of tracks) track.addEventListener('ended', onEnded);
    this.#watched.set(stream, () => {
      for (const track of tracks) track.removeEventListener('ended', onEnded);
    });
  }

  /** Call after unpublishing anywhere. */
  unpublished(): void {
    this.#forgetUnpublished();
  }

  /** Mic or camera on/off everywhere this stream goes: `track.enabled`, shown to others. */
  setTrackEnabled(stream: MediaStream, kind: TrackKind, enabled: boolean): void {
    const tracks = kind === 'audio' ? stream.getAudioTracks() : stream.getVideoTracks();
    if (tracks.length === 0) throw new RoomError(ErrorCode.INVALID_STREAM, `this stream has no ${kind} track`);
    for (const track of tracks) track.enabled = enabled;
    this.#announce(stream);
  }

  /**
   * Switches the camera or microphone of a stream during a call: opens the new device, sends
   * its track on the same senders (replaceTrack, no renegotiation) in every room, then stops
   * the old one. On failure the old device keeps going.
   */
  async switchDevice(stream: MediaStream, kind: TrackKind, deviceId: string): Promise<void> {
    const old = (kind === 'audio' ? stream.getAudioTracks() : stream.getVideoTracks())[0];
    if (!old) throw new RoomError(ErrorCode.INVALID_STREAM, `this stream has no ${kind} track`);
    const settings = old.getSettings();
    const constraints =
      kind === 'video'
        ? { video: videoConstraints({ video: { deviceId }, width: settings.width, height: settings.height, frameRate: settings.frameRate }) }
        : { audio: audioConstraints({ audio: { deviceId } }) };
    let replacement: MediaStreamTrack;
    try {
      [replacement] = (await navigator.mediaDevices.getUserMedia(constraints)).getTracks();
    } catch (error) {
      throw mediaError(error, kind === 'video' ? 'camera' : 'microphone');
    }
    replacement.enabled = old.enabled;
    const rooms = this.#roomsOf(stream);
    await Promise.all(rooms.map((room) => room.replaceTrack(old, replacement)));
    stream.addTrack(replacement);
    stream.removeTrack(old);
    this.#rewatch(stream);
    old.stop();
    this.#announce(stream);
  }

  #roomsOf(stream: MediaStream): RoomMedia[] {
    return [...this.#rooms.values()].filter((room) => room.isPublishing(stream));
  }

  #announce(stream: MediaStream): void {
    for (const room of this.#roomsOf(stream)) room.announce();
  }

  /** A track ended by the browser or the device: the stream stops where nothing of it is left. */
  #trackEnded(stream: MediaStream): void {
    const alive = stream.getTracks().some((track) => track.readyState === 'live');
    for (const room of this.#roomsOf(stream)) {
      if (alive) {
        room.announce();
        continue;
      }
      room.unpublishStream(stream, 'ended');
    }
    if (!alive) this.#forgetUnpublished();
  }

  #rewatch(stream: MediaStream): void {
    this.#watched.get(stream)?.();
    this.#watched.delete(stream);
    this.published(stream);
  }

  #forgetUnpublished(): void {
    for (const [stream, unwatch] of this.#watched) {
      if (this.#roomsOf(stream).length > 0) continue;
      unwatch();
      this.#watched.delete(stream);
    }
  }
}
