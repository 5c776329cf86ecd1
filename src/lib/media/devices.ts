/**
 * Local devices: what cameras, microphones and speakers there are (and when that
 * changes), opening them, and opening a screen. Every failure of getUserMedia/getDisplayMedia
 * becomes a RoomError with a code a UI can put in words: PERMISSION_DENIED, NO_DEVICE,
 * DEVICE_IN_USE, MEDIA_UNSUPPORTED, DEVICE_ERROR.
 */
import { ErrorCode, RoomError } from '../rooms/errors.js';

export interface Device {
  deviceId: string;
  /** Empty until the page has been granted access to some device (browsers hide labels). */
  label: string;
  groupId: string;
}

export interface DeviceList {
  cameras: Device[];
  microphones: Device[];
  speakers: Device[];
}

export interface CameraOptions {
  /** false for audio-only mode; a deviceId picks a camera. Default: the default camera. */
  video?: boolean | { deviceId: string };
  /** false for video only; a deviceId picks a microphone. Default: the default microphone. */
  audio?: boolean | { deviceId: string };
  /** The picture asked of the camera; the upload budget scales each copy down as needed. */
  width?: number;
  height?: number;
  frameRate?: number;
}

export const DEFAULT_CAPTURE = { width: 1280, height: 720, frameRate: 30 } as const;

function mediaDevices(): MediaDevices {
  const devices = typeof navigator === 'undefined' ? undefined : navigator.mediaDevices;
  if (!devices?.getUserMedia) {
    throw new RoomError(ErrorCode.MEDIA_UNSUPPORTED, 'this page cannot use a camera or microphone here (it needs https or localhost, and a current browser)');
  }
  return devices;
}

export async function listDevices(): Promise<DeviceList> {
  const all = await mediaDevices().enumerateDevices();
  const pick = (kind: MediaDeviceKind): Device[] =>
    all.filter((device) => device.kind === kind).map(({ deviceId, label, groupId }) => ({ deviceId, label, groupId }));
  return { cameras: pick('videoinput'), microphones: pick('audioinput'), speakers: pick('audiooutput') };
}

/** Calls `listener` with the new list whenever a device is plugged in or out. */
export function watchDevices(listener: (devices: DeviceList) => void): () => void {
  const devices = mediaDevices();
  const onChange = () => void listDevices().then(listener, () => {});
  devices.addEventListener('devicechange', onChange);
  return () => devices.removeEventListener('devicechange', onChange);
}

export function videoConstraints(options: CameraOptions): MediaTrackConstraints | false {
  if (options.video === false) return false;
  const device = typeof options.video === 'object' ? { deviceId: { exact: options.video.deviceId } } : {};
  return {
    ...device,
    width: { ideal: options.width ?? DEFAULT_CAPTURE.width },
    height: { ideal: options.height ?? DEFAULT_CAPTURE.height },
    frameRate: { ideal: options.frameRate ?? DEFAULT_CAPTURE.frameRate },
  };
}

export function audioConstraints(options: CameraOptions): MediaTrackConstraints | false {
  if (options.audio === false) return false;
  const device = typeof options.audio === 'object' ? { deviceId: { exact: options.audio.deviceId } } : {};
  return { ...device, echoCancellation: true, noiseSuppression: true, autoGainControl: true };
}

/** Camera and/or microphone as one stream (camera + mic, or audio-only with `video: false`). */
export async function openCamera(options: CameraOptions = {}): Promise<MediaStream> {
  const video = videoConstraints(options);
  const audio = audioConstraints(options);
  if (!video && !audio) throw new RoomError(ErrorCode.INVALID_CONFIG, 'ask for a camera, a microphone or both');
  try {
    return await mediaDevices().getUserMedia({ video, audio });
  } catch (error) {
    throw mediaError(error, video ? (audio ? 'camera or microphone' : 'camera') : 'microphone');
  }
}

/** A screen, window or tab chosen by the user; with `audio`, its sound when the browser offers it. */
export async function openScreen(options: { audio?: boolean } = {}): Promise<MediaStream> {
  const devices = mediaDevices();
  if (!devices.getDisplayMedia) throw new RoomError(ErrorCode.MEDIA_UNSUPPORTED, 'this browser cannot share a screen');
  try {
    return await devices.getDisplayMedia({ video: { frameRate: { ideal: 15 } }, audio: options.audio ?? false });
  } catch (error) {
    throw mediaError(error, 'screen');
  }
}

/** getUserMedia's DOMException names, as codes and words (LiveKit maps them the same way). */
export function mediaError(error: unknown, what: string): RoomError {
  const name = error instanceof Error ? error.name : '';
  switch (name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return new RoomError(ErrorCode.PERMISSION_DENIED, `permission to use the ${what} was denied`);
    case 'NotFoundError':
    case 'OverconstrainedError':
      return new RoomError(ErrorCode.NO_DEVICE, `no ${what} was found`);
    case 'NotReadableError':
    case 'AbortError':
      return new RoomError(ErrorCode.DEVICE_IN_USE, `the ${what} is in use by another application or could not be started`);
    default:
      return new RoomError(ErrorCode.DEVICE_ERROR, `could not open the ${what}: ${error instanceof Error ? error.message : String(error)}`);
  }
}
