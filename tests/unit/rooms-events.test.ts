import { describe, expect, it, vi } from 'vitest';
import { Emitter } from '../../src/lib/rooms/events.js';

interface TestEvents {
  joined: { roomId: string; who: string };
  left: { roomId: string };
}

describe('Emitter', () => {
  it('delivers the payload to every listener of that event only; on() returns an unsubscribe', () => {
    const emitter = new Emitter<TestEvents>();
    const a = vi.fn();
    const b = vi.fn();
    const other = vi.fn();
    const offA = emitter.on('joined', a);
    emitter.on('joined', b);
    emitter.on('left', other);
    emitter.emit('joined', { roomId: 'r', who: 'alice' });
    expect(a).toHaveBeenCalledWith({ roomId: 'r', who: 'alice' });
    expect(b).toHaveBeenCalledTimes(1);
    expect(other).not.toHaveBeenCalled();
    offA();
    emitter.emit('joined', { roomId: 'r', who: 'bob' });
    expect(a).toHaveBeenCalledTimes(1);
    expect(b).toHaveBeenCalledTimes(2);
    expect(emitter.listenerCount('joined')).toBe(1);
  });

  it('a throwing listener does not stop the others, and its error is reported, not swallowed', () => {
    const reported: unknown[] = [];
    const emitter = new Emitter<TestEvents>((err) => reported.push(err));
    const after = vi.fn();
    emitter.on('left', () => {
      throw new Error('listener bug');
    });
    emitter.on('left', after);
    emitter.emit('left', { roomId: 'r' });
    expect(after).toHaveBeenCalledTimes(1);
    expect(reported).toEqual([expect.objectContaining({ message: 'listener bug' })]);
  });

  it('a listener that unsubscribes during emit does not disturb that emit', () => {
    const emitter = new Emitter<TestEvents>();
    const calls: string[] = [];
    const off = emitter.on('left', () => {
      calls.push('first');
      off();
    });
    emitter.on('left', () => calls.push('second'));
    emitter.emit('left', { roomId: 'r' });
    emitter.emit('left', { roomId: 'r' });
    expect(calls).toEqual(['first', 'second', 'second']);
  });
});
