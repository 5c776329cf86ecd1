/**
 * The Lua scripts behind room presence shared through Redis. Each runs atomically
 * in Redis, which is what makes "check, then join" one step across relays: two clients racing
 * to create a room on two relays reach Redis one after the other, and the second finds the room.
 *
 * Time comes from Redis (`TIME`), never from a relay, so relays with skewed clocks agree on
 * which registrations have expired. A registration is live while its score in `relays` is in
 * the future; members counted under a dead one are ignored and removed wherever they are met,
 * so a killed relay's members stop counting as soon as its heartbeat runs out.
 *
 * Key layout: keys.ts. The scripts touch only the keys they are given (KEYS), except the
 * room hashes `live_members` reads, which are given too; registration ids are read from
 * hash fields. One Redis server only: Redis Cluster would need every key in one slot.
 */
import type { Redis } from 'ioredis';
import type { ClusterKeys } from './keys.js';

const PRELUDE = `
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function is_live(relays, id, now)
  local expires = redis.call('ZSCORE', relays, id)
  return expires and tonumber(expires) > now
end

-- Members counted by live registrations; fields of dead ones are dropped on the way.
local function live_members(room, relays, now)
  local fields = redis.call('HGETALL', room)
  local total = 0
  for i = 1, #fields, 2 do
    local field = fields[i]
    if string.sub(field, 1, 2) == 'm:' then
      if is_live(relays, string.sub(field, 3), now) then
        total = total + tonumber(fields[i + 1])
      else
        redis.call('HDEL', room, field)
      end
    end
  end
  return total
end

-- The last member is gone: the room waits out its destroyDelay, or goes at once [R-3].
-- A room already waiting (it has a TTL) or already gone is left alone.
local function settle_empty(room, delayed, name, now)
  if redis.call('PTTL', room) ~= -1 then return end
  local delay = tonumber(redis.call('HGET', room, 'delay') or '0')
  if delay > 0 then
    redis.call('PEXPIRE', room, delay * 1000)
    redis.call('ZADD', delayed, now + delay * 1000, name)
  else
    redis.call('DEL', room)
  end
end

-- A room that gets a member back stops waiting to be destroyed.
local function keep(room, delayed, name)
  if redis.call('PTTL', room) >= 0 then
    redis.call('PERSIST', room)
    if tonumber(redis.call('HGET', room, 'delay') or '0') > 0 then redis.call('ZADD', delayed, '+inf', name) end
  end
end

local function create(room, delayed, name, delay, has_key, key, inc)
  redis.call('HSET', room, 'delay', delay, 'inc', inc)
  if has_key then redis.call('HSET', room, 'key', key) end
  if delay > 0 then redis.call('ZADD', delayed, '+inf', name) end
end
`;

/**
 * KEYS: room, relays, delayed, relay-rooms. ARGV: registration, room name, mode, destroyDelay,
 * has key (1/0), key, join (1/0: 0 = the connection is a member already, only answer),
 * topics full (1/0), delayed-room cap, incarnation (taken if this creates the room).
 * Returns {code} or {'OK', created, members, destroyDelay, has key, key, incarnation}. The
 * checks come in the standalone relay's order (relay.ts), so both answer alike.
 */
const ENTER = `${PRELUDE}
local room, relays, delayed, rooms_of = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local id, name, mode = ARGV[1], ARGV[2], ARGV[3]
local delay = tonumber(ARGV[4])
local has_key, key = ARGV[5] == '1', ARGV[6]
local join, topics_full, cap = ARGV[7] == '1', ARGV[8] == '1', tonumber(ARGV[9])
local inc = ARGV[10]
local now = now_ms()
if not is_live(relays, id, now) then return {'STALE'} end
local members = live_members(room, relays, now)
if members == 0 then settle_empty(room, delayed, name, now) end
local exists = redis.call('EXISTS', room) == 1
if mode == 'create' and exists then return {'ROOM_ALREADY_EXISTS'} end
if mode == 'join' and not exists then return {'ROOM_NOT_FOUND'} end
local room_key = false
local room_delay = delay
if exists then
  room_key = redis.call('HGET', room, 'key')
  room_delay = tonumber(redis.call('HGET', room, 'delay') or '0')
  -- A room stored before incarnations existed takes the one offered.
  redis.call('HSETNX', room, 'inc', inc)
  inc = redis.call('HGET', room, 'inc')
end
if has_key and room_key and room_key ~= key then return {'WRONG_PASSWORD'} end
if join then
  if topics_full then return {'TOO_MANY_TOPICS'} end
  if exists then
    keep(room, delayed, name)
  else
    if delay > 0 then
      redis.call('ZREMRANGEBYSCORE', delayed, '-inf', now)
      if redis.call('ZCARD', delayed) >= cap then return {'TOO_MANY_ROOMS'} end
    end
    create(room, delayed, name, delay, has_key, key, inc)
    if has_key then room_key = key end
  end
  redis.call('HINCRBY', room, 'm:' .. id, 1)
  redis.call('SADD', rooms_of, name)
  members = members + 1
end
return {'OK', (join and not exists) and 1 or 0, members, room_delay, room_key and 1 or 0, room_key or '', inc}
`;

/** KEYS: room, relays, delayed, relay-rooms. ARGV: registration, room name. */
const LEAVE = `${PRELUDE}
local room, relays, delayed, rooms_of = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local id, name = ARGV[1], ARGV[2]
local field = 'm:' .. id
if redis.call('HEXISTS', room, field) == 0 then return 0 end
if redis.call('HINCRBY', room, field, -1) > 0 then return 1 end
redis.call('HDEL', room, field)
redis.call('SREM', rooms_of, name)
local now = now_ms()
if live_members(room, relays, now) == 0 then settle_empty(room, delayed, name, now) end
return 0
`;

/** KEYS: relays, delayed, room 1..n. ARGV: room names. Returns {exists, members, delay} each. */
const QUERY = `${PRELUDE}
local relays, delayed = KEYS[1], KEYS[2]
local now = now_ms()
local out = {}
for i = 3, #KEYS do
  local room, name = KEYS[i], ARGV[i - 2]
  local members = live_members(room, relays, now)
  if members == 0 then settle_empty(room, delayed, name, now) end
  if redis.call('EXISTS', room) == 1 then
    out[#out + 1] = {1, members, tonumber(redis.call('HGET', room, 'delay') or '0')}
  else
    out[#out + 1] = {0, 0, 0}
  end
end
return out
`;

/**
 * Puts one room of a relay that (re)registers back into Redis. KEYS: room, delayed,
 * relay-rooms. ARGV: registration, room name, members, destroyDelay, has key, key, linger ms,
 * incarnation. An existing room keeps its own delay, key and incarnation: another relay may
 * have made it meanwhile.
 */
const RESTORE = `${PRELUDE}
local room, delayed, rooms_of = KEYS[1], KEYS[2], KEYS[3]
local id, name = ARGV[1], ARGV[2]
local members, delay = tonumber(ARGV[3]), tonumber(ARGV[4])
local has_key, key, linger = ARGV[5] == '1', ARGV[6], tonumber(ARGV[7])
local inc = ARGV[8]
local exists = redis.call('EXISTS', room) == 1
if members == 0 then
  -- A room this relay saw lingering: only recreated when Redis lost it (a restart).
  if exists or linger <= 0 then return 0 end
  create(room, delayed, name, delay, has_key, key, inc)
  redis.call('PEXPIRE', room, linger)
  if delay > 0 then redis.call('ZADD', delayed, now_ms() + linger, name) end
  return 1
end
if exists then keep(room, delayed, name) else create(room, delayed, name, delay, has_key, key, inc) end
redis.call('HSET', room, 'm:' .. id, members)
redis.call('SADD', rooms_of, name)
return 1
`;

/** Takes a dead registration's members out of one room. KEYS: room, relays, delayed. ARGV: registration, room name. */
const DROP = `${PRELUDE}
local room, relays, delayed = KEYS[1], KEYS[2], KEYS[3]
local id, name = ARGV[1], ARGV[2]
if redis.call('HDEL', room, 'm:' .. id) == 0 then return 0 end
local now = now_ms()
if live_members(room, relays, now) == 0 then settle_empty(room, delayed, name, now) end
return 1
`;

/** KEYS: relays. ARGV: registration, ttl ms. */
const REGISTER = `${PRELUDE}
redis.call('ZADD', KEYS[1], now_ms() + tonumber(ARGV[2]), ARGV[1])
return 1
`;

/**
 * Refreshes a live registration. KEYS: relays. ARGV: registration, ttl ms. Returns 0 when it
 * had expired: it is not revived (others may have dropped its members already); the relay
 * registers anew and restores its rooms instead.
 */
const HEARTBEAT = `${PRELUDE}
local now = now_ms()
if not is_live(KEYS[1], ARGV[1], now) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
return 1
`;

/** KEYS: relays. Returns up to 50 expired registrations. */
const EXPIRED = `${PRELUDE}
return redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now_ms(), 'LIMIT', 0, 50)
`;

/**
 * Last step of retiring a registration, once its rooms are done. KEYS: relays, relay-rooms.
 * ARGV: registration. Leaves a registration that is live again alone (only its own relay
 * could make it so, and heartbeats never do).
 */
const FORGET = `${PRELUDE}
if is_live(KEYS[1], ARGV[1], now_ms()) then return 0 end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('DEL', KEYS[2])
return 1
`;

const SCRIPTS = {
  meshRoomEnter: { numberOfKeys: 4, lua: ENTER },
  meshRoomLeave: { numberOfKeys: 4, lua: LEAVE },
  meshRoomRestore: { numberOfKeys: 3, lua: RESTORE },
  meshRoomDrop: { numberOfKeys: 3, lua: DROP },
  meshRelayRegister: { numberOfKeys: 1, lua: REGISTER },
  meshRelayHeartbeat: { numberOfKeys: 1, lua: HEARTBEAT },
  meshRelaysExpired: { numberOfKeys: 1, lua: EXPIRED },
  meshRelayForget: { numberOfKeys: 2, lua: FORGET },
} as const;

type ScriptArg = string | number;
/** How ioredis exposes a script registered with defineCommand (EVALSHA, EVAL on NOSCRIPT). */
type ScriptCall = (...args: ScriptArg[]) => Promise<unknown>;
type ScriptMethods = Record<keyof typeof SCRIPTS | 'meshRoomQuery', ScriptCall>;

export type EnterMode = 'create' | 'join' | 'any';

export interface EnterArgs {
  room: string;
  mode: EnterMode;
  destroyDelay: number;
  keyCheck: string | undefined;
  /** The incarnation the room takes if this creates it (protocol.ts). */
  incarnation: string;
  /** false when the connection is a member already: check and answer, count nothing. */
  join: boolean;
  topicsFull: boolean;
  maxDelayedRooms: number;
}

export interface Entered {
  ok: true;
  created: boolean;
  members: number;
  destroyDelay: number;
  keyCheck: string | undefined;
  incarnation: string;
}
/** Why Redis refused an entry; the same codes a standalone relay answers with. */
export type EnterRefusal = 'ROOM_ALREADY_EXISTS' | 'ROOM_NOT_FOUND' | 'WRONG_PASSWORD' | 'TOO_MANY_TOPICS' | 'TOO_MANY_ROOMS';
/** `STALE`: the registration the request was made under has expired (presence.ts retries). */
export type EnterReply = Entered | { ok: false; code: EnterRefusal | 'STALE' };
export type EnterOutcome = Entered | { ok: false; code: EnterRefusal };

export interface SharedRoomInfo {
  exists: boolean;
  members: number;
  destroyDelay: number;
}

const flag = (value: boolean) => (value ? 1 : 0);

/** Typed calls of the scripts (and two plain commands) on one ioredis connection. */
export class PresenceScripts {
  readonly #redis: ScriptMethods;

  constructor(
    private readonly commands: Redis,
    private readonly keys: ClusterKeys,
  ) {
    for (const [name, script] of Object.entries(SCRIPTS)) commands.defineCommand(name, script);
    // The query script takes a variable number of room keys: numberOfKeys is passed per call.
    commands.defineCommand('meshRoomQuery', { lua: QUERY });
    this.#redis = commands as unknown as ScriptMethods;
  }

  /** Rooms in which a registration counts members. */
  roomsOf(registration: string): Promise<string[]> {
    return this.commands.smembers(this.keys.roomsOf(registration));
  }

  /**
   * Makes a registration expired at once, so its members stop counting. Expired rather than
   * removed: if retiring it stops half-way, any relay's sweep finds it and finishes the job.
   */
  async expire(registration: string): Promise<void> {
    await this.commands.zadd(this.keys.relays, 0, registration);
  }

  async enter(registration: string, args: EnterArgs): Promise<EnterReply> {
    const k = this.keys;
    const reply = (await this.#redis.meshRoomEnter(
      k.room(args.room),
      k.relays,
      k.delayed,
      k.roomsOf(registration),
      registration,
      args.room,
      args.mode,
      args.destroyDelay,
      flag(args.keyCheck !== undefined),
      args.keyCheck ?? '',
      flag(args.join),
      flag(args.topicsFull),
      Number.isFinite(args.maxDelayedRooms) ? args.maxDelayedRooms : Number.MAX_SAFE_INTEGER,
      args.incarnation,
    )) as [string, number, number, number, number, string, string];
    if (reply[0] !== 'OK') return { ok: false, code: reply[0] as Extract<EnterReply, { ok: false }>['code'] };
    const [, created, members, destroyDelay, hasKey, keyCheck, incarnation] = reply;
    return { ok: true, created: created === 1, members, destroyDelay, keyCheck: hasKey === 1 ? keyCheck : undefined, incarnation };
  }

  async leave(registration: string, room: string): Promise<void> {
    const k = this.keys;
    await this.#redis.meshRoomLeave(k.room(room), k.relays, k.delayed, k.roomsOf(registration), registration, room);
  }

  async query(rooms: readonly string[]): Promise<SharedRoomInfo[]> {
    const k = this.keys;
    const reply = (await this.#redis.meshRoomQuery(2 + rooms.length, k.relays, k.delayed, ...rooms.map((room) => k.room(room)), ...rooms)) as [
      number,
      number,
      number,
    ][];
    return reply.map(([exists, members, destroyDelay]) => ({ exists: exists === 1, members, destroyDelay }));
  }

  async restore(
    registration: string,
    room: { topic: string; members: number; destroyDelay: number; keyCheck: string | undefined; incarnation: string; lingerMs: number },
  ): Promise<void> {
    const k = this.keys;
    await this.#redis.meshRoomRestore(
      k.room(room.topic),
      k.delayed,
      k.roomsOf(registration),
      registration,
      room.topic,
      room.members,
      room.destroyDelay,
      flag(room.keyCheck !== undefined),
      room.keyCheck ?? '',
      Math.ceil(room.lingerMs),
      room.incarnation,
    );
  }

  async drop(registration: string, room: string): Promise<void> {
    const k = this.keys;
    await this.#redis.meshRoomDrop(k.room(room), k.relays, k.delayed, registration, room);
  }

  async register(registration: string, ttlMs: number): Promise<void> {
    await this.#redis.meshRelayRegister(this.keys.relays, registration, ttlMs);
  }

  /** false: the registration had expired and was not refreshed. */
  async heartbeat(registration: string, ttlMs: number): Promise<boolean> {
    return (await this.#redis.meshRelayHeartbeat(this.keys.relays, registration, ttlMs)) === 1;
  }

  async expired(): Promise<string[]> {
    return (await this.#redis.meshRelaysExpired(this.keys.relays)) as string[];
  }

  async forget(registration: string): Promise<boolean> {
    return (await this.#redis.meshRelayForget(this.keys.relays, this.keys.roomsOf(registration), registration)) === 1;
  }
}
