/**
 * Key layout of the Redis counter sink. `<base>` is `<prefix>c:<code>:`, `<h>` an hour
 * number and `<d>` a day number since the epoch (UTC):
 *
 * | key | type | holds |
 * |---|---|---|
 * | `<prefix>seen:<event id>` | string | dedupe marker, expires after `dedupeTtlSeconds` |
 * | `<base>days` | sorted set | day numbers that have data (score = member), the read index |
 * | `<base>clicks:<d>` | hash | field `<hour of day>`: human clicks, `b<hour of day>`: bot clicks |
 * | `<base>uv:h:<h>`, `<base>uv:d:<d>` | HyperLogLog | visitor ids of human clicks per hour, per day |
 * | `<base>top:<dimension>:h:<h>`, `…:d:<d>` | sorted set | human clicks per value per hour, per day |
 *
 * Bucket keys expire `hourlyTtlDays` after their hour or day ends. The write script
 * (Lua) builds the same names; both live in this file so they cannot drift apart.
 */

/** Per-code key names, for the reader. */
export class CounterKeys {
  readonly #base: string;

  constructor(prefix: string, code: string) {
    this.#base = `${prefix}c:${code}:`;
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
 * The write script. ARGV: prefix, dedupe TTL (s), retention (s), the number of
 * dimensions N, N dimension names, then per event: id, code, hour number, visitor id,
 * bot (`1`/`0`), N dimension values (`''` for none). Each event is claimed with `SET NX`
 * on its id; the counts of the claimed ones are summed per key first and written with one
 * command per key and member, so a batch of hot links costs few commands. Returns the
 * events counted.
 */
export const WRITE_SCRIPT = `
local prefix, dedupeTtl, keep, n = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local dims = {}
for j = 1, n do dims[j] = ARGV[4 + j] end
local now = tonumber(redis.call('TIME')[1])
local expiries, hashes, zsets, hlls, indexes = {}, {}, {}, {}, {}
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
local written = 0
for i = 5 + n, #ARGV, 5 + n do
  local hour = tonumber(ARGV[i + 2])
  local day = math.floor(hour / 24)
  local dayEnd = (day + 1) * 86400 + keep
  local hourEnd = (hour + 1) * 3600 + keep
  if dayEnd > now and redis.call('SET', prefix .. 'seen:' .. ARGV[i], '1', 'NX', 'EX', dedupeTtl) then
    written = written + 1
    local base = prefix .. 'c:' .. ARGV[i + 1] .. ':'
    local clicks = base .. 'clicks:' .. day
    touch(clicks, dayEnd)
    add(indexes, base .. 'days', day)
    if ARGV[i + 4] == '1' then
      add(hashes, clicks, 'b' .. (hour % 24))
    else
      add(hashes, clicks, tostring(hour % 24))
      local spans = { { 'h:' .. hour, hourEnd }, { 'd:' .. day, dayEnd } }
      for _, span in ipairs(spans) do
        local uv = base .. 'uv:' .. span[1]
        add(hlls, uv, ARGV[i + 3])
        touch(uv, span[2])
        for j = 1, n do
          local value = ARGV[i + 4 + j]
          if value ~= '' then
            local top = base .. 'top:' .. dims[j] .. ':' .. span[1]
            add(zsets, top, value)
            touch(top, span[2])
          end
        end
      end
    end
  end
end
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
return written`;
