/**
 * The frame every subscriber of a topic receives for a `publish`, built by hand (RFC 6455 §5.2:
 * FIN + text opcode, payload length, no mask, since servers never mask).
 *
 * Every receiver gets the very same bytes, so the relay builds the frame once per publish and
 * writes that one Buffer to each receiver's socket, instead of one `ws.send` per
 * receiver (which allocates a header and an options object each time and, in some V8 warm-up
 * states, costs a fifth of the relay's CPU: BENCHMARKS.md).
 *
 * The payload is the publisher's own JSON with `"clients":N` (the subscriber count) added, as
 * the stock y-webrtc server does. It is spliced onto the received bytes rather than parsed and
 * re-serialized; a `clients` key the sender put in is overridden because JSON.parse keeps the
 * last duplicate key.
 */
export function publishWireFrame(received: Buffer, clients: number): Buffer {
  // The caller has parsed `received` as a JSON object, so after trailing JSON whitespace the
  // last byte is its closing brace.
  let end = received.length;
  while (end > 0 && isJsonWhitespace(received[end - 1])) end--;
  const bodyLength = end - 1;
  const suffix = `,"clients":${clients}}`;
  const payloadLength = bodyLength + suffix.length;
  const headerLength = payloadLength < 126 ? 2 : payloadLength < 65_536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(headerLength + payloadLength);
  frame[0] = 0x81; // FIN, opcode 1 (text)
  if (headerLength === 2) {
    frame[1] = payloadLength;
  } else if (headerLength === 4) {
    frame[1] = 126;
    frame.writeUInt16BE(payloadLength, 2);
  } else {
    frame[1] = 127;
    frame.writeBigUInt64BE(BigInt(payloadLength), 2);
  }
  received.copy(frame, headerLength, 0, bodyLength);
  frame.write(suffix, headerLength + bodyLength, 'latin1');
  return frame;
}

function isJsonWhitespace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}
