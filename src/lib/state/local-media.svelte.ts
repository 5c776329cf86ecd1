/**
 * This tab's camera and microphone: one capture for every room, chosen in the lobby.
 * Each room gets its own clone of the tracks (a clone shares the capture, it does not open the
 * device again), so mic and camera can be turned off in one room and stay on in another.
 */
import { listDevices, openCamera, watchDevices, type DeviceList } from '$lib/media/devices';
import { isRoomError } from '$lib/rooms/errors';

export type CaptureMode = 'camera' | 'audio-only' | 'none';

export interface DeviceChoice {
  cameraId: string;
  microphoneId: string;
}

const CHOICE_KEY = 'mesh-rooms.devices';

export class LocalMedia {
  capture = $state.raw<MediaStream | null>(null);
  devices = $state.raw<DeviceList>({ cameras: [], microphones: [], speakers: [] });
  choice = $state<DeviceChoice>(loadChoice());
  mode = $state<CaptureMode>('camera');
  /** The error code of the last failed open (PERMISSION_DENIED, NO_DEVICE, …), for the lobby to put in words. */
  error = $state<string | null>(null);
  opening = $state(false);
  #watchingDevices = false;
  #opened: Promise<void> | null = null;
  #generation = 0;

  /** The capture as chosen, once it is open (or has failed): joining waits for it, so a quick click still brings the camera. */
  ready(): Promise<void> {
    if (this.mode === 'none' || this.capture) return Promise.resolve();
    return (this.#opened ??= this.open());
  }

  /** Opens (or re-opens, after a device or mode change) the capture the lobby previews. */
  open(): Promise<void> {
    this.#opened = this.#open();
    return this.#opened;
  }

  async #open(): Promise<void> {
    // Each open is a generation: a slower earlier open (the lobby's first preview) must not
    // overwrite what the person chose meanwhile ("No devices", another camera).
    const generation = ++this.#generation;
    this.opening = true;
    this.error = null;
    this.stop();
    try {
      if (this.mode !== 'none') {
        const capture = await openCamera({
          video: this.mode === 'camera' ? (this.choice.cameraId ? { deviceId: this.choice.cameraId } : true) : false,
          audio: this.choice.microphoneId ? { deviceId: this.choice.microphoneId } : true,
          width: 640,
          height: 480,
        });
        if (generation !== this.#generation) {
          for (const track of capture.getTracks()) track.stop();
          return;
        }
        this.capture = capture;
      }
      this.devices = await listDevices();
      // Follow devices plugged in or out for the rest of the tab's life.
      if (!this.#watchingDevices) watchDevices((devices) => (this.devices = devices));
      this.#watchingDevices = true;
    } catch (error) {
      if (generation === this.#generation) this.error = isRoomError(error) ? error.code : 'DEVICE_ERROR';
    } finally {
      if (generation === this.#generation) this.opening = false;
    }
  }

  choose(choice: Partial<DeviceChoice>): Promise<void> {
    this.choice = { ...this.choice, ...choice };
    localStorage.setItem(CHOICE_KEY, JSON.stringify(this.choice));
    return this.open();
  }

  /** A stream of clones for one room: its tracks can be turned off there alone. */
  cloneForRoom(): MediaStream | null {
    return this.capture ? new MediaStream(this.capture.getTracks().map((track) => track.clone())) : null;
  }

  stop(): void {
    for (const track of this.capture?.getTracks() ?? []) track.stop();
    this.capture = null;
  }
}

function loadChoice(): DeviceChoice {
  try {
    const saved = JSON.parse(localStorage.getItem(CHOICE_KEY) ?? '{}') as Partial<DeviceChoice>;
    return { cameraId: typeof saved.cameraId === 'string' ? saved.cameraId : '', microphoneId: typeof saved.microphoneId === 'string' ? saved.microphoneId : '' };
  } catch {
    return { cameraId: '', microphoneId: '' }; // a corrupt entry: start from the defaults
  }
}
