import { describe, expect, it } from 'vitest';
import { parseSignal, mediaTopic } from '../../src/lib/media/signals.js';
import { deriveMediaKey, openJson, sealJson } from '../../src/lib/media/room-key.js';
import { readStreams, writeStreams, type StreamInfo } from '../../src/lib/media/stream-info.js';
import { mediaError } from '../../src/lib/media/devices.js';
import { ErrorCode } from '../../src/lib/rooms/errors.js';
import { codeOf } from './support/error-code.js';
import { assertStreamId } from '../../src/lib/media/stream-info.js';
import { isUnpairableCandidate } from '../../src/lib/media/candidates.js';
import { readSpeakingMessage, speakingMessage } from '../../src/lib/media/speech.js';

const play = { t: 'play', from: '12', to: '34', stream: 'camera', conn: '1-abc' };

describe('media signals are peer input [R-30]', () => {
  it('accepts each well-formed kind', () => {
    expect(parseSignal(play)).toEqual(play);
    expect(parseSignal({ ...play, t: 'stop' })).toEqual({ ...play, t: 'stop' });
    expect(parseSignal({ ...play, t: 'signal', data: { type: 'offer', sdp: 'v=0' } })).toMatchObject({ t: 'signal', data: { type: 'offer' } });
    expect(parseSignal({ ...play, t: 'refuse', code: 'not-found' })).toMatchObject({ t: 'refuse', code: 'not-found' });
  });

  it('rejects what is not a signal', () => {
    for (const bad of [
      null,
      'play',
      [],
      { ...play, t: 'offer' },
      { ...play, from: 'alice' },
      { ...play, to: 42 },
      { ...play, stream: 'a/b' },
      { ...play, conn: '' },
      { ...play, t: 'signal' },
      { ...play, t: 'signal', data: [1] },
      { ...play, t: 'signal', data: { sdp: 'x'.repeat(40_000) } },
      { ...play, t: 'refuse' },
    ]) {
      expect(parseSignal(bad)).toBeNull();
    }
  });

  it('uses a topic no room id can take (room ids have no "/")', () => {
    expect(mediaTopic('lobby')).toBe('media/lobby');
  });
});

describe('media signals of a password room are sealed [R-41]', () => {
  it('opens with the same password and room only', async () => {
    const key = await deriveMediaKey('secret', 'room-1');
    const sealed = await sealJson(key, play);
    expect(sealed).not.toContain('camera');
    expect(await openJson(key, sealed)).toEqual(play);
    expect(await openJson(await deriveMediaKey('wrong', 'room-1'), sealed)).toBeNull();
    expect(await openJson(await deriveMediaKey('secret', 'room-2'), sealed)).toBeNull();
    expect(await openJson(key, 'not base64!')).toBeNull();
    expect(await openJson(key, sealed.slice(0, -4) + 'AAAA')).toBeNull();
  });
});

describe('streams in awareness [R-53]', () => {
  const camera: StreamInfo = { streamId: 'camera', kind: 'camera', audio: 'on', video: 'off' };

  it('round-trips and skips malformed entries', () => {
    expect(readStreams(writeStreams([camera]))).toEqual([camera]);
    expect(readStreams({ camera: { kind: 'camera', audio: 'on', video: 'off' }, 'bad/id': { kind: 'camera', audio: 'on', video: 'on' }, x: { kind: 'tv', audio: 'on', video: 'on' }, y: null })).toEqual([camera]);
    expect(readStreams('camera')).toEqual([]);
    expect(readStreams(Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`s${i}`, { kind: 'audio', audio: 'on', video: 'none' }])))).toHaveLength(8);
  });

  it('checks stream ids before anything is published', () => {
    expect(codeOf(() => assertStreamId('camera-1', 'r'))).toBeUndefined();
    expect(codeOf(() => assertStreamId('', 'r'))).toBe(ErrorCode.INVALID_STREAM);
    expect(codeOf(() => assertStreamId('a b', 'r'))).toBe(ErrorCode.INVALID_STREAM);
    expect(codeOf(() => assertStreamId(7, 'r'))).toBe(ErrorCode.INVALID_STREAM);
  });
});

describe('device errors in words [R-30]', () => {
  const named = (name: string) => Object.assign(new Error('x'), { name });
  it('maps getUserMedia failures to codes', () => {
    expect(mediaError(named('NotAllowedError'), 'camera').code).toBe(ErrorCode.PERMISSION_DENIED);
    expect(mediaError(named('NotFoundError'), 'camera').code).toBe(ErrorCode.NO_DEVICE);
    expect(mediaError(named('OverconstrainedError'), 'camera').code).toBe(ErrorCode.NO_DEVICE);
    expect(mediaError(named('NotReadableError'), 'camera').code).toBe(ErrorCode.DEVICE_IN_USE);
    expect(mediaError(named('Weird'), 'camera').code).toBe(ErrorCode.DEVICE_ERROR);
    expect(mediaError(named('NotAllowedError'), 'microphone').message).toContain('microphone');
  });
});

describe('candidates a media connection sends [R-31]', () => {
  const candidate = (line: string) => ({ type: 'candidate', candidate: { candidate: line, sdpMLineIndex: 0, sdpMid: '0' } });

  it('leaves out TCP active candidates, which no Chromium peer can pair with', () => {
    expect(isUnpairableCandidate(candidate('candidate:3831473991 1 tcp 1518214911 192.0.2.2 9 typ host tcptype active generation 0 ufrag qf/S network-id 1'))).toBe(true);
    expect(isUnpairableCandidate(candidate('candidate:1 1 tcp 1518214911 192.0.2.2 9 typ host tcptype active'))).toBe(true);
  });

  it('keeps UDP host, passive TCP and relay candidates, and everything that is not a candidate', () => {
    expect(isUnpairableCandidate(candidate('candidate:452293587 1 udp 2122194687 192.0.2.2 55035 typ host generation 0 ufrag qf/S network-id 1'))).toBe(false);
    expect(isUnpairableCandidate(candidate('candidate:2 1 tcp 1518280447 192.0.2.2 50000 typ host tcptype passive'))).toBe(false);
    expect(isUnpairableCandidate(candidate('candidate:3 1 udp 41885439 203.0.113.9 3478 typ relay raddr 0.0.0.0 rport 0'))).toBe(false);
    expect(isUnpairableCandidate({ type: 'offer', sdp: 'v=0 tcptype active' })).toBe(false);
    expect(isUnpairableCandidate(null)).toBe(false);
  });
});

describe('what a publisher says over a media connection is peer input [R-53]', () => {
  it('reads its own speaking message and nothing else', () => {
    expect(readSpeakingMessage(speakingMessage(true))).toBe(true);
    expect(readSpeakingMessage(speakingMessage(false))).toBe(false);
    for (const text of ['', 'speaking', '{"t":"speaking","on":"yes"}', '{"t":"other","on":true}', 'null', '[1]', `{"t":"speaking","on":true,"x":"${'a'.repeat(100)}"}`]) {
      expect(readSpeakingMessage(text)).toBeNull();
    }
  });
});
