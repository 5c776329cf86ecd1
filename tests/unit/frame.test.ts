import { describe, expect, it } from 'vitest';
import * as ws from 'ws';
import { publishWireFrame } from '../../signaling/frame.js';
import { parseClientMessage } from '../../signaling/protocol.js';

/**
 * ws's own frame parser, the one every Node `ws` client uses: exported by the package at run
 * time (`import { Receiver } from 'ws'`) but not declared by @types/ws.
 */
interface FrameReceiver {
  on(event: 'message', listener: (data: Buffer, isBinary: boolean) => void): void;
  on(event: 'error', listener: (err: Error) => void): void;
  write(chunk: Buffer): void;
}
const { Receiver } = ws as unknown as { Receiver: new (options: { isServer: boolean; maxPayload: number }) => FrameReceiver };

/** Decodes one frame the way a real client would. */
function decode(frame: Buffer): Promise<{ text: string; isBinary: boolean }> {
  return new Promise((resolve, reject) => {
    const receiver = new Receiver({ isServer: false, maxPayload: 0 });
    receiver.on('message', (data: Buffer, isBinary: boolean) => resolve({ text: data.toString(), isBinary }));
    receiver.on('error', reject);
    receiver.write(frame);
  });
}

async function forward(text: string, clients: number): Promise<unknown> {
  const decoded = await decode(publishWireFrame(Buffer.from(text), clients));
  expect(decoded.isBinary).toBe(false);
  return JSON.parse(decoded.text);
}

describe('publishWireFrame [R-70][R-72]', () => {
  it('[R-70] is a text frame of the publisher JSON with clients added, every field kept', async () => {
    const text = '{"type":"publish","topic":"room","data":{"type":"signal","to":"p2","signal":{"sdp":"v=0"}}}';
    expect(await forward(text, 3)).toEqual({ ...JSON.parse(text), clients: 3 });
  });

  it('[R-70] handles trailing JSON whitespace after the closing brace', async () => {
    expect(await forward('{"type":"publish","topic":"t"}  \n\t\r', 1)).toEqual({ type: 'publish', topic: 't', clients: 1 });
  });

  it('[R-70] a clients key sent by the publisher is overridden by the real count', async () => {
    expect(await forward('{"type":"publish","topic":"t","clients":999}', 2)).toEqual({ type: 'publish', topic: 't', clients: 2 });
  });

  it('[R-70] keeps multi-byte UTF-8 intact', async () => {
    const text = '{"type":"publish","topic":"教室","data":"你好 👋"}';
    expect(await forward(text, 5)).toEqual({ type: 'publish', topic: '教室', data: '你好 👋', clients: 5 });
  });

  it('[R-72] uses the 7-bit, 16-bit and 64-bit length forms at their boundaries', async () => {
    // Payload = text minus its closing brace, plus `,"clients":1}` (13 bytes).
    for (const payloadLength of [125, 126, 65_535, 65_536, 200_000]) {
      const skeleton = '{"type":"publish","topic":"t","data":""}';
      const padding = 'x'.repeat(payloadLength - (skeleton.length - 1) - 13);
      const text = `{"type":"publish","topic":"t","data":"${padding}"}`;
      const frame = publishWireFrame(Buffer.from(text), 1);
      const headerLength = payloadLength < 126 ? 2 : payloadLength < 65_536 ? 4 : 10;
      expect(frame.length).toBe(headerLength + payloadLength);
      expect(await forward(text, 1)).toEqual({ type: 'publish', topic: 't', data: padding, clients: 1 });
    }
  });

  it('[R-70] every shape parseClientMessage accepts as publish becomes valid JSON', async () => {
    const texts = [
      '{"type":"publish","topic":"t"}',
      ' {"topic":"t","type":"publish","data":"}"} ',
      '{"type":"publish","topic":"t","data":{"nested":{"x":[1,{"y":"}"}]}}}',
      '{\n  "type": "publish",\n  "topic": "t"\n}\n',
    ];
    for (const text of texts) {
      expect(parseClientMessage(text).type).toBe('publish');
      expect(await forward(text, 4)).toEqual({ ...JSON.parse(text), clients: 4 });
    }
  });
});
