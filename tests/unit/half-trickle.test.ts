import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SignalData } from 'simple-peer/simplepeer.min.js';
import { GATHER_QUIET_MS, GATHER_WAIT_MS, HalfTrickle } from '../../src/lib/media/candidates.js';

/** The part of an RTCPeerConnection HalfTrickle reads: gathering state and the local description. */
class GatheringConnection extends EventTarget {
  iceGatheringState: RTCIceGatheringState = 'gathering';
  localDescription: { type: string; sdp: string } | null = null;
  /** Chromium adds each candidate it gathers to the local description, as an `a=candidate` line. */
  gather(line: string): SignalData {
    this.localDescription!.sdp += `a=${line}\r\n`;
    return { type: 'candidate', candidate: { candidate: `${line} ufrag Od4i network-id 1`, sdpMLineIndex: 0, sdpMid: '0' } };
  }
  complete(): void {
    this.iceGatheringState = 'complete';
    this.dispatchEvent(new Event('icegatheringstatechange'));
  }
}

const OFFER_SDP = 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n';
const HOST_V4 = 'candidate:2659607997 1 udp 2122063615 192.0.2.2 52582 typ host generation 0';
const HOST_V6 = 'candidate:2167327929 1 udp 2122134271 fd00::2 38895 typ host generation 0';
const REFLEXIVE = 'candidate:842163049 1 udp 1686052607 203.0.113.7 52582 typ srflx raddr 192.0.2.2 rport 52582 generation 0';

function setUp() {
  const pc = new GatheringConnection();
  const sent: SignalData[] = [];
  const trickle = new HalfTrickle(pc as unknown as RTCPeerConnection, (data) => sent.push(data));
  /** simple-peer emits its offer once the local description is set, before any candidate. */
  const offer = () => {
    pc.localDescription = { type: 'offer', sdp: OFFER_SDP };
    trickle.push({ type: 'offer', sdp: OFFER_SDP });
  };
  const sentCandidates = () => sent.filter((data) => data.type === 'candidate').map((data) => (data.candidate as { candidate: string }).candidate);
  return { pc, sent, trickle, offer, sentCandidates };
}

describe('half-trickle: a media connection’s first candidates travel inside its offer or answer', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('sends the description once gathering completes, with the candidates in its SDP and not again on their own', () => {
    const { pc, sent, trickle, offer, sentCandidates } = setUp();
    offer();
    trickle.push(pc.gather(HOST_V4));
    trickle.push(pc.gather(HOST_V6));
    expect(sent).toEqual([]);
    pc.complete();
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ type: 'offer' });
    expect(sent[0].sdp).toContain(`a=${HOST_V4}\r\n`);
    expect(sent[0].sdp).toContain(`a=${HOST_V6}\r\n`);
    expect(sentCandidates()).toEqual([]);
  });

  it('does not wait for a STUN server that never answers: a pause after the host candidates is enough, and later ones trickle', () => {
    const { pc, sent, trickle, offer, sentCandidates } = setUp();
    offer();
    trickle.push(pc.gather(HOST_V4));
    vi.advanceTimersByTime(GATHER_QUIET_MS - 1);
    trickle.push(pc.gather(HOST_V6)); // still the burst: the pause starts again
    vi.advanceTimersByTime(GATHER_QUIET_MS - 1);
    expect(sent).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(sent.map((data) => data.type)).toEqual(['offer']);
    trickle.push(pc.gather(REFLEXIVE));
    expect(sentCandidates()).toEqual([`${REFLEXIVE} ufrag Od4i network-id 1`]);
  });

  it('sends the description after GATHER_WAIT_MS when no candidate comes at all', () => {
    const { sent, offer } = setUp();
    offer();
    vi.advanceTimersByTime(GATHER_WAIT_MS - 1);
    expect(sent).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(sent).toEqual([{ type: 'offer', sdp: OFFER_SDP }]);
  });

  it('sends a held candidate the description lacks right after it, in order', () => {
    const { pc, sent, trickle, offer, sentCandidates } = setUp();
    offer();
    trickle.push(pc.gather(HOST_V4));
    // A candidate the local description does not show (gathered for another generation, say).
    const stray: SignalData = { type: 'candidate', candidate: { candidate: HOST_V6.replace('38895', '40000'), sdpMLineIndex: 0, sdpMid: '0' } };
    trickle.push(stray);
    pc.complete();
    expect(sent.map((data) => data.type)).toEqual(['offer', 'candidate']);
    expect(sentCandidates()).toEqual([HOST_V6.replace('38895', '40000')]);
  });

  it('sends at once when gathering is already complete, and passes candidates through before any description', () => {
    const { pc, sent, trickle } = setUp();
    const early = pc.gather.bind(pc);
    pc.localDescription = { type: 'answer', sdp: OFFER_SDP };
    trickle.push(early(HOST_V4)); // before the description: nothing to carry it yet
    pc.complete();
    trickle.push({ type: 'answer', sdp: OFFER_SDP });
    expect(sent.map((data) => data.type)).toEqual(['candidate', 'answer']);
  });

  it('sends nothing once the connection has ended', () => {
    const { pc, sent, trickle, offer } = setUp();
    offer();
    trickle.push(pc.gather(HOST_V4));
    trickle.stop();
    pc.complete();
    vi.advanceTimersByTime(GATHER_WAIT_MS);
    expect(sent).toEqual([]);
  });
});
