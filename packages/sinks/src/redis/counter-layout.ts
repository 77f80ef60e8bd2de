/**
 * Key layout of the Redis counter sink. Every key of a code starts with `<base>` =
 * `<prefix>{c:<code>}:`; `<h>` is an hour number and `<d>` a day number since the epoch
 * (UTC):
 *
 * | key | type | holds |
 * |---|---|---|
 * | `<base>seen:<event id>` | string | dedupe marker, expires after `dedupeTtlSeconds` |
 * | `<base>days` | sorted set | day numbers that have data (score = member), the read index |
 * | `<base>clicks:<d>` | hash | field `<hour of day>`: human clicks, `b<hour of day>`: bot clicks |
 * | `<base>uv:h:<h>`, `<base>uv:d:<d>` | HyperLogLog | visitor ids of human clicks per hour, per day |
 * | `<base>top:<dimension>:h:<h>`, `…:d:<d>` | sorted set | human clicks per value per hour, per day |
 *
 * The braces are a Redis Cluster hash tag: a key's slot is the hash of the text between
 * its first `{` and the next `}` when that text is not empty. With a prefix free of `{`,
 * that text is `c:` followed by the code up to its first `}` (the whole code for every
 * code LinkPulse accepts, `A-Z a-z 0-9 _ -`), never empty and the same for every key of
 * the code: all keys of one code share one slot, whatever the code, and the codes spread
 * over the masters. A prefix holding a hash tag itself (`{lp}:`) puts every key in that
 * tag's slot, which works but leaves all counters on one master.
 *
 * Bucket keys expire `hourlyTtlDays` after their hour or day ends. The write script
 * (Lua) builds the same names; both live in this file so they cannot drift apart.
 */

/** Per-code key names, for the reader and for routing a code's script call. */
export class CounterKeys {
  readonly #base: string;

  constructor(prefix: string, code: string) {
    this.#base = `${prefix}{c:${code}}:`;
  }

  /** Sorted set of the day numbers with data. */
  days(): string {
    return `${this.#base}days`;
  }

  /** Hash of one day's human and bot clicks per hour of day. */
  clicks(day: number): string {
    return `${this.#base}clicks:${day}`;
  }

  /** HyperLogLog of one hour (`h:<hour>`) or day (`d:<day>`). */
  visitors(span: string): string {
    return `${this.#base}uv:${span}`;
  }

  /** Sorted set of one dimension over one hour (`h:<hour>`) or day (`d:<day>`). */
  top(dimension: string, span: string): string {
    return `${this.#base}top:${dimension}:${span}`;
  }
}

/**
 * The write script. KEYS: none on a standalone server; on a Cluster one key of the one
 * code of the call, which ioredis routes by (the script does not read it). ARGV: prefix,
 * dedupe TTL (s), retention (s), the number of dimensions N, N dimension names, then per
 * event: id, code, hour number, visitor id, bot (`1`/`0`), N dimension values (`''` for
 * none).
 *
 * It first only reads: the dedupe markers of the events still kept (`MGET`), then the
 * type of every key it is going to write, so a key of the wrong type fails the call
 * (`WRONGTYPE`) before anything is written. Then it claims the new events by setting
 * their markers and writes their counts, summed per key first, with one command per key
 * and member, so a batch of hot links costs few commands. Returns the events counted.
 * Only foreign data of the right type (a string that is no HyperLogLog, a hash field that
 * is no integer) can still fail a write half-way: the markers come first, so no event of
 * such a call is ever counted twice, but the counts written before the failing command
 * stay and the rest are lost.
 */
export const WRITE_SCRIPT = `
local prefix, dedupeTtl, keep, n = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local dims = {}
for j = 1, n do dims[j] = ARGV[4 + j] end
local now = tonumber(redis.call('TIME')[1])
local function base(code) return prefix .. '{c:' .. code .. '}:' end
local kept, markers, seen = {}, {}, {}
for i = 5 + n, #ARGV, 5 + n do
  if (math.floor(tonumber(ARGV[i + 2]) / 24) + 1) * 86400 + keep > now then
    kept[#kept + 1] = i
    markers[#markers + 1] = base(ARGV[i + 1]) .. 'seen:' .. ARGV[i]
  end
end
for first = 1, #markers, 1000 do
  local last = math.min(first + 999, #markers)
  local values = redis.call('MGET', unpack(markers, first, last))
  for k = first, last do
    if values[k - first + 1] then seen[markers[k]] = true end
  end
end
local claimed, expiries, hashes, zsets, hlls, indexes = {}, {}, {}, {}, {}, {}
local function touch(key, at)
  local current = expiries[key]
  if current == nil or current < at then expiries[key] = at end
end
local function add(counts, key, member)
  local members = counts[key]
  if members == nil then
    members = {}
    counts[key] = members
  end
  members[member] = (members[member] or 0) + 1
end
for k, i in ipairs(kept) do
  local marker = markers[k]
  if not seen[marker] then
    seen[marker] = true
    claimed[#claimed + 1] = marker
    local hour = tonumber(ARGV[i + 2])
    local day = math.floor(hour / 24)
    local dayEnd = (day + 1) * 86400 + keep
    local hourEnd = (hour + 1) * 3600 + keep
    local prefixOfCode = base(ARGV[i + 1])
    local clicks = prefixOfCode .. 'clicks:' .. day
    touch(clicks, dayEnd)
    add(indexes, prefixOfCode .. 'days', day)
    if ARGV[i + 4] == '1' then
      add(hashes, clicks, 'b' .. (hour % 24))
    else
      add(hashes, clicks, tostring(hour % 24))
      local spans = { { 'h:' .. hour, hourEnd }, { 'd:' .. day, dayEnd } }
      for _, span in ipairs(spans) do
        local uv = prefixOfCode .. 'uv:' .. span[1]
        add(hlls, uv, ARGV[i + 3])
        touch(uv, span[2])
        for j = 1, n do
          local value = ARGV[i + 4 + j]
          if value ~= '' then
            local top = prefixOfCode .. 'top:' .. dims[j] .. ':' .. span[1]
            add(zsets, top, value)
            touch(top, span[2])
          end
        end
      end
    end
  end
end
for _, keys in ipairs({ { hashes, 'hash' }, { zsets, 'zset' }, { hlls, 'string' }, { indexes, 'zset' } }) do
  for key in pairs(keys[1]) do
    local found = redis.call('TYPE', key)['ok']
    if found ~= 'none' and found ~= keys[2] then
      return redis.error_reply('WRONGTYPE ' .. key .. ' holds a ' .. found .. ', not a ' .. keys[2] .. ': nothing was written')
    end
  end
end
for _, marker in ipairs(claimed) do redis.call('SET', marker, '1', 'EX', dedupeTtl) end
for key, members in pairs(hashes) do
  for field, count in pairs(members) do redis.call('HINCRBY', key, field, count) end
end
for key, members in pairs(zsets) do
  for member, count in pairs(members) do redis.call('ZINCRBY', key, count, member) end
end
for key, members in pairs(hlls) do
  local batch = {}
  for member in pairs(members) do
    batch[#batch + 1] = member
    if #batch == 1000 then
      redis.call('PFADD', key, unpack(batch))
      batch = {}
    end
  end
  if #batch > 0 then redis.call('PFADD', key, unpack(batch)) end
end
for key, at in pairs(expiries) do redis.call('EXPIREAT', key, at) end
local oldest = math.floor((now - keep) / 86400) - 1
for key, days in pairs(indexes) do
  for day in pairs(days) do redis.call('ZADD', key, day, day) end
  redis.call('ZREMRANGEBYSCORE', key, '-inf', '(' .. oldest)
  redis.call('EXPIRE', key, keep + 2 * 86400)
end
return #claimed`;
