/**
 * Asks a relay whether it is there: opens a WebSocket, sends y-webrtc's JSON `ping` and waits
 * for `pong`. Used by the lobby to say "relay unreachable" before anyone tries to join.
 */
export type RelayStatus = 'reachable' | 'unreachable';

export function probeRelay(url: string, timeoutMs = 4000): Promise<RelayStatus> {
  return new Promise((resolve) => {
    let socket: WebSocket;
    try {
      socket = new WebSocket(url);
    } catch {
      // A malformed URL is as good as an unreachable relay to the person looking at the lobby.
      resolve('unreachable');
      return;
    }
    const finish = (status: RelayStatus) => {
      clearTimeout(timer);
      socket.onopen = socket.onmessage = socket.onerror = socket.onclose = null;
      socket.close();
      resolve(status);
    };
    const timer = setTimeout(() => finish('unreachable'), timeoutMs);
    socket.onopen = () => socket.send(JSON.stringify({ type: 'ping' }));
    socket.onmessage = (event) => {
      if (typeof event.data === 'string' && event.data.includes('"pong"')) finish('reachable');
    };
    socket.onerror = () => finish('unreachable');
    socket.onclose = () => finish('unreachable');
  });
}
