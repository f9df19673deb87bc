import type { ChannelKeys } from "./keys.ts";
import type { RedisLink } from "./link.ts";
import type { Published } from "../broker.ts";
import { draftTail, sequence, type Draft, type Entry } from "../envelope.ts";
import { decodeEntry, entryValues, seqOf, type RawEntry } from "./stream-entry.ts";

/**
 * The Lua scripts that make each channel's operations atomic in Redis (the layout of an entry: stream-entry.ts).
 * Every script takes KEYS = stream, seq, epoch, ids (see keys.ts).
 */

/**
 * Drops entries older than `cutoff` (ms since the Unix epoch; 0 = keep) from the head of the stream —
 * `--history-max-age` — when history is read, as the memory history does. Entries are appended in time
 * order, so only the head is looked at: amortised O(1).
 */
const EXPIRE_HEAD = `
local function expire_head(key, cutoff)
  if cutoff <= 0 then return end
  for _ = 1, 1000 do
    local oldest = redis.call('XRANGE', key, '-', '+', 'COUNT', 1)[1]
    if not oldest then return end
    local f, m = oldest[2], nil
    for i = 1, #f, 2 do if f[i] == 'm' then m = tonumber(f[i + 1]) break end end
    if not m or m >= cutoff then return end
    redis.call('XDEL', key, oldest[1])
  end
end`;

/**
 * The entry the stream holds under an id, or nil: the ids set says which seq, and the entry itself must
 * still be there, carry that id (the set may outlive a lost stream) and be younger than `cutoff` (0 = any).
 */
const HELD = `
local function held(stream, ids, id, cutoff)
  local seq = redis.call('ZSCORE', ids, id)
  if not seq then return nil end
  local e = redis.call('XRANGE', stream, seq .. '-0', seq .. '-0')[1]
  if not e then return nil end
  local f, same, m = e[2], false, nil
  for i = 1, #f, 2 do
    if f[i] == 'i' then same = f[i + 1] == id elseif f[i] == 'm' then m = tonumber(f[i + 1]) end
  end
  if not same or (cutoff > 0 and m and m < cutoff) then return nil end
  return e
end`;

/**
 * How many seqs pass between trims of the ids set. Trimming on every publish (two more commands) showed
 * in Redis's CPU per event in \`bench redis\` (single-event publishes); a thousand ids at once take well
 * under a millisecond to drop.
 */
export const ID_TRIM_BATCH = 1000;

/**
 * Publish: judges each draft in order; one whose id the stream still holds is answered with the held entry
 * and not stored. Only ids the publisher chose are sent ('' otherwise), looked up, stored (field `i`) and
 * added to the ids set: a server-made UUID cannot be held, and one sorted-set insert per event was a fifth
 * of Redis's CPU per publish. The others take the next seqs and are appended with stream id `<seq>-0`, so
 * stream ids ARE seqs and every instance agrees on them (fields: see stream-entry.ts). All in one script:
 * two instances publishing the same id at once store it once. Creates the epoch if Redis has none (first
 * use, or data lost: the ids set goes with it).
 * ARGV = maxlen, epoch candidate, age cutoff, then per draft: accept time, id ('' for none), `d`.
 * Returns, per draft, its new seq or the held entry.
 */
const PUBLISH = `${HELD}
local epoch = redis.call('GET', KEYS[3])
if not epoch then epoch = ARGV[2]; redis.call('SET', KEYS[3], epoch); redis.call('DEL', KEYS[4]) end
local cutoff, head = tonumber(ARGV[3]), 3
local seq = tonumber(redis.call('GET', KEYS[2]) or '0')
local stored, out = 0, {}
for i = 0, (#ARGV - head) / 3 - 1 do
  local base = head + i * 3
  local id = ARGV[base + 2]
  local e = nil
  if id ~= '' then e = held(KEYS[1], KEYS[4], id, cutoff) end
  if e then
    out[i + 1] = e
  else
    seq = seq + 1
    if id ~= '' then
      redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], seq .. '-0', 'e', epoch, 'm', ARGV[base + 1], 'i', id, 'd', ARGV[base + 3])
      redis.call('ZADD', KEYS[4], seq, id)
    else
      redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], seq .. '-0', 'e', epoch, 'm', ARGV[base + 1], 'd', ARGV[base + 3])
    end
    out[i + 1] = seq
    stored = stored + 1
  end
end
if stored > 0 then
  redis.call('SET', KEYS[2], seq)
  -- Forget the ids of entries trimmed from the stream once per ${ID_TRIM_BATCH} seqs, not on every publish
  -- (a lookup checks the stream anyway): the set holds at most about that many ids more than the stream.
  if math.floor(seq / ${ID_TRIM_BATCH}) ~= math.floor((seq - stored) / ${ID_TRIM_BATCH}) then
    local oldest = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)[1]
    if oldest then redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', '(' .. string.match(oldest[1], '^%d+')) end
  end
end
return out`;

/** The entry held under ARGV[1] (not older than the cutoff ARGV[2]), or false. */
const BY_ID = `${HELD}
return held(KEYS[1], KEYS[4], ARGV[1], tonumber(ARGV[2])) or false`;

/** Where the stream stands: {epoch, last seq}; creates the epoch if missing. ARGV = epoch candidate. */
const POSITION = `
redis.call('SET', KEYS[3], ARGV[1], 'NX')
return {redis.call('GET', KEYS[3]), redis.call('GET', KEYS[2]) or '0'}`;

/** History page: {epoch, last seq, oldest id held, entries from id ARGV[1], at most ARGV[2]}; ARGV[3] = age cutoff. */
const READ = `${EXPIRE_HEAD}
expire_head(KEYS[1], tonumber(ARGV[3]))
local page = redis.call('XRANGE', KEYS[1], ARGV[1], '+', 'COUNT', ARGV[2])
local oldest = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)
return {redis.call('GET', KEYS[3]) or '', redis.call('GET', KEYS[2]) or '0', oldest[1] and oldest[1][1] or '0-0', page}`;

/**
 * Seek by time: {epoch, last seq, oldest id held, seq of the first entry with accept time (field m) >= ARGV[1],
 * or 0 when none}; ARGV[2] = age cutoff. Accept times grow with ids, so a binary search of one-entry
 * XRANGEs: about 20 for a million entries, all inside the script.
 */
const SEEK = `${EXPIRE_HEAD}
local function time_of(entry)
  local f = entry[2]
  for i = 1, #f, 2 do if f[i] == 'm' then return tonumber(f[i + 1]) end end
  return 0
end
local function seq_of(id) return tonumber(string.match(id, '^(%d+)')) end
local cutoff = tonumber(ARGV[2])
expire_head(KEYS[1], cutoff)
local want = math.max(tonumber(ARGV[1]), cutoff)
local epoch, last = redis.call('GET', KEYS[3]) or '', redis.call('GET', KEYS[2]) or '0'
local oldest = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)[1]
if not oldest then return {epoch, last, '0-0', 0} end
local newest = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)[1]
local lo, hi = seq_of(oldest[1]), seq_of(newest[1]) + 1
while lo < hi do
  local mid = math.floor((lo + hi) / 2)
  local entry = redis.call('XRANGE', KEYS[1], string.format('%d-0', mid), '+', 'COUNT', 1)[1]
  if time_of(entry) < want then lo = seq_of(entry[1]) + 1 else hi = mid end
end
local found = redis.call('XRANGE', KEYS[1], string.format('%d-0', lo), '+', 'COUNT', 1)[1]
return {epoch, last, oldest[1], found and seq_of(found[1]) or 0}`;

interface Script {
  source: string;
  sha: string;
}

const script = (source: string): Script => ({ source, sha: new Bun.CryptoHasher("sha1").update(source).digest("hex") });
const scripts = { publish: script(PUBLISH), position: script(POSITION), read: script(READ), seek: script(SEEK), byId: script(BY_ID) };

/** Runs a script by its hash, sending the source only when Redis does not have it (first use, after a restart). */
async function run(link: RedisLink, s: Script, keys: ChannelKeys, args: string[]): Promise<any> {
  const tail = ["4", keys.stream, keys.seq, keys.epoch, keys.ids, ...args];
  try {
    return await link.send("EVALSHA", [s.sha, ...tail]);
  } catch (err) {
    if (!String((err as Error).message).startsWith("NOSCRIPT")) throw err;
    return link.send("EVAL", [s.source, ...tail]);
  }
}

/** Appends drafts to the channel's stream; resolves with the stored entries, or for a held id the entry held. */
export async function appendDrafts(
  link: RedisLink, keys: ChannelKeys, drafts: Draft[], maxLen: number, epochCandidate: string, cutoff: number,
): Promise<Published[]> {
  const args: string[] = [String(maxLen), epochCandidate, String(cutoff)];
  // Serialised once: the tail goes to Redis, and the answer's frames are built from it.
  const tails = drafts.map(draftTail);
  for (let i = 0; i < drafts.length; i++) args.push(...entryValues(drafts[i]!, tails[i]!));
  const outcomes = (await run(link, scripts.publish, keys, args)) as Array<number | RawEntry>;
  return drafts.map(({ kind, key, source, time, id }, i) => {
    const outcome = outcomes[i]!;
    if (typeof outcome !== "number") return { ...decodeEntry(outcome).entry, duplicate: true };
    return sequence({ kind, key, source, time, id, tail: tails[i] }, outcome);
  });
}

/** The entry the stream holds under `id` (none older than `cutoff`), if any. */
export async function readById(link: RedisLink, keys: ChannelKeys, id: string, cutoff: number): Promise<Entry | undefined> {
  const raw = (await run(link, scripts.byId, keys, [id, String(cutoff)])) as RawEntry | null;
  return raw ? decodeEntry(raw).entry : undefined;
}

/** The channel's epoch (created if missing) and last seq. */
export async function readPosition(link: RedisLink, keys: ChannelKeys, epochCandidate: string) {
  const [epoch, seq] = (await run(link, scripts.position, keys, [epochCandidate])) as [string, string];
  return { epoch, seq: Number(seq) };
}

/** Entries with seq > since (at most `limit`), the oldest seq held, and where the stream stands. */
export async function readPage(link: RedisLink, keys: ChannelKeys, since: number, limit: number, cutoff: number) {
  const [epoch, seq, oldest, raw] = (await run(link, scripts.read, keys, [`${since + 1}-0`, String(limit), String(cutoff)])) as [
    string, string, string, RawEntry[],
  ];
  return { epoch, seq: Number(seq), firstSeq: seqOf(oldest), entries: raw.map((r) => decodeEntry(r).entry) };
}

/** The seq of the first entry accepted at or after `time` (undefined when none), the oldest seq held, and where the stream stands. */
export async function seekTime(link: RedisLink, keys: ChannelKeys, time: number, cutoff: number) {
  const [epoch, seq, oldest, found] = (await run(link, scripts.seek, keys, [String(Math.floor(time)), String(cutoff)])) as [string, string, string, number];
  return { epoch, seq: Number(seq), firstSeq: seqOf(oldest), found: found > 0 ? found : undefined };
}
