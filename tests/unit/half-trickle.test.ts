import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { GATHER_QUIET_MS, GATHER_WAIT_MS, createHalfTrickleWrtc } from '../../src/lib/media/candidates.js';
import type { Wrtc } from '../../src/lib/rooms/chunking-rtc.js';

/**
 * The part of an RTCPeerConnection half-trickle touches. Like Chromium, it adds each candidate
 * it gathers to the local description (an `a=candidate` line) and fires `icecandidate`.
 */
class GatheringConnection extends EventTarget {
  iceGatheringState: RTCIceGatheringState = 'new';
  localDescription: { type: string; sdp: string } | null = null;
  /** The next setLocalDescription rejects, as Chromium's does for a description it cannot apply. */
  refuseNext = false;
  async setLocalDescription(description: { type: string; sdp: string }): Promise<void> {
    if (this.refuseNext) {
      this.refuseNext = false;
      throw new Error('InvalidModificationError');
    }
    this.localDescription = { ...description };
    this.iceGatheringState = 'gathering';
  }
  gather(line: string): void {
    this.localDescription!.sdp += `a=${line}\r\n`;
    this.#fire({ candidate: `${line} ufrag Od4i network-id 1`, sdpMLineIndex: 0, sdpMid: '0' });
  }
  complete(): void {
    this.iceGatheringState = 'complete';
    this.dispatchEvent(new Event('icegatheringstatechange'));
    this.#fire(null);
  }
  #fire(candidate: object | null): void {
    this.dispatchEvent(Object.assign(new Event('icecandidate'), { candidate }));
  }
}

const base = { RTCPeerConnection: GatheringConnection, RTCSessionDescription: class {}, RTCIceCandidate: class {} } as unknown as Wrtc;
const OFFER = { type: 'offer', sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n' };
const HOST_V4 = 'candidate:2659607997 1 udp 2122063615 192.0.2.2 52582 typ host generation 0';
const HOST_V6 = 'candidate:2167327929 1 udp 2122134271 fd00::2 38895 typ host generation 0';
const TCP_ACTIVE = 'candidate:3831473991 1 tcp 1518214911 192.0.2.2 9 typ host tcptype active generation 0';
const REFLEXIVE = 'candidate:842163049 1 udp 1686052607 203.0.113.7 52582 typ srflx raddr 192.0.2.2 rport 52582 generation 0';

/** A connection as simple-peer uses it: it sends the local description once setLocalDescription resolves, and each candidate its handler is given. */
function setUp() {
  const pc = new (createHalfTrickleWrtc(base).RTCPeerConnection)() as unknown as GatheringConnection & Pick<RTCPeerConnection, 'onicecandidate'>;
  const sent: string[] = [];
  let sdp = '';
  pc.onicecandidate = (event) => void sent.push(event.candidate ? `candidate ${event.candidate.candidate.split(' ')[4]}` : 'end of candidates');
  const offer = () =>
    void pc.setLocalDescription(OFFER).then(() => {
      sdp = pc.localDescription!.sdp;
      sent.push('offer');
    });
  return { pc, sent, offer, sdp: () => sdp };
}

describe('half-trickle: a connection’s first candidates travel inside its offer or answer', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('hands out the description once gathering completes, with the candidates in its SDP and not again on their own', async () => {
    const { pc, sent, offer, sdp } = setUp();
    offer();
    await vi.advanceTimersByTimeAsync(0);
    pc.gather(HOST_V4);
    pc.gather(HOST_V6);
    expect(sent).toEqual([]);
    pc.complete();
    await vi.advanceTimersByTimeAsync(0);
    expect(sent).toEqual(['offer', 'end of candidates']);
    expect(sdp()).toContain(`a=${HOST_V4}\r\n`);
    expect(sdp()).toContain(`a=${HOST_V6}\r\n`);
  });

  it('does not wait for a STUN server that never answers: a pause after the host candidates is enough, and later ones trickle', async () => {
    const { pc, sent, offer } = setUp();
    offer();
    await vi.advanceTimersByTimeAsync(0);
    pc.gather(HOST_V4);
    await vi.advanceTimersByTimeAsync(GATHER_QUIET_MS - 1);
    pc.gather(HOST_V6); // still the burst: the pause starts again
    await vi.advanceTimersByTimeAsync(GATHER_QUIET_MS - 1);
    expect(sent).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(sent).toEqual(['offer']);
    pc.gather(REFLEXIVE);
    expect(sent).toEqual(['offer', 'candidate 203.0.113.7']);
  });

  it('hands out the description after GATHER_WAIT_MS when no candidate comes at all', async () => {
    const { sent, offer } = setUp();
    offer();
    await vi.advanceTimersByTimeAsync(GATHER_WAIT_MS - 1);
    expect(sent).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(sent).toEqual(['offer']);
  });

  it('hands out a held candidate the description lacks right after it, and never an unpairable one', async () => {
    const { pc, sent, offer } = setUp();
    offer();
    await vi.advanceTimersByTimeAsync(0);
    pc.gather(HOST_V4);
    // One the local description does not show (Chromium lists every one; a stand-in for a slip).
    pc.dispatchEvent(Object.assign(new Event('icecandidate'), { candidate: { candidate: HOST_V6, sdpMLineIndex: 0, sdpMid: '0' } }));
    pc.gather(TCP_ACTIVE);
    pc.complete();
    await vi.advanceTimersByTimeAsync(0);
    expect(sent).toEqual(['offer', 'candidate fd00::2', 'end of candidates']);
    pc.dispatchEvent(Object.assign(new Event('icecandidate'), { candidate: { candidate: TCP_ACTIVE.replace(' 9 ', ' 10 '), sdpMLineIndex: 0, sdpMid: '0' } }));
    expect(sent).toHaveLength(3);
  });

  it('lets candidates through when no description waits, and leaves other listeners alone', async () => {
    const { pc, sent } = setUp();
    const seen: unknown[] = [];
    pc.addEventListener('icecandidate', (event) => seen.push((event as RTCPeerConnectionIceEvent).candidate));
    pc.localDescription = { ...OFFER };
    pc.gather(HOST_V4);
    expect(sent).toEqual(['candidate 192.0.2.2']);
    expect(seen).toHaveLength(1);
  });

  it('does not hold later candidates when setLocalDescription fails', async () => {
    const { pc, sent } = setUp();
    pc.refuseNext = true;
    await expect(pc.setLocalDescription(OFFER)).rejects.toThrow('InvalidModificationError');
    pc.localDescription = { ...OFFER };
    pc.gather(HOST_V4);
    expect(sent).toEqual(['candidate 192.0.2.2']);
  });
});
