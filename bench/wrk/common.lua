-- Shared by the workload scripts (loaded with dofile from BENCH_WRK_DIR).
--
-- Environment, read by every script:
--   BENCH_PATH     the request path
--   BENCH_THREADS  wrk's -t (a pool is split between the threads by stride)
--   BENCH_POOL     a file of values, one a line (scripts that need one)
--   BENCH_OFFSET   the first line of the pool not used by an earlier run (0-based)
--
-- done() prints one line, "BENCH_JSON {...}", with exact counts: requests,
-- responses with status >= 400 (wrk's own count), socket errors, p50 and p99
-- in ms, and pool_next, the offset the next run of the same pool starts at.
local M = {}

function M.env(name, default)
  local value = os.getenv(name)
  if value == nil or value == "" then
    if default == nil then error("environment variable " .. name .. " is not set") end
    return default
  end
  return value
end

function M.urlencode(text)
  return (string.gsub(text, "[^%w%-%._~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

local threads = {}

function M.setup(thread)
  thread:set("thread_index", #threads)
  table.insert(threads, thread)
end

-- Per-thread pool state, in the thread's own Lua state.
local pool, cursor, stride, reuse

-- Loads the pool in the thread. With reuse, values repeat (bearer tokens);
-- without, each value goes to one request only (codes, refresh tokens):
-- thread i takes lines offset+i, offset+i+T, offset+i+2T, ...
function M.load_pool(allow_reuse)
  pool = {}
  for line in io.lines(M.env("BENCH_POOL")) do
    if line ~= "" then pool[#pool + 1] = line end
  end
  if #pool == 0 then error("the pool " .. M.env("BENCH_POOL") .. " is empty") end
  stride = tonumber(M.env("BENCH_THREADS", "1"))
  cursor = tonumber(M.env("BENCH_OFFSET", "0")) + thread_index
  reuse = allow_reuse
  taken = 0
  pool_size = #pool
  exhausted = false
end

function M.next_value()
  local index = cursor
  cursor = cursor + stride
  taken = taken + 1
  if index >= #pool then
    if not reuse then exhausted = true end
    index = index % #pool
  end
  return pool[index + 1]
end

function M.done(summary, latency, requests)
  local offset = tonumber(os.getenv("BENCH_OFFSET") or "0") or 0
  local most, size, out = 0, 0, false
  for _, thread in ipairs(threads) do
    most = math.max(most, thread:get("taken") or 0)
    size = math.max(size, thread:get("pool_size") or 0)
    out = out or (thread:get("exhausted") == true)
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_s":%.3f,"non2xx":%d,"connect_errors":%d,"read_errors":%d,' ..
    '"write_errors":%d,"timeouts":%d,"p50_ms":%.3f,"p99_ms":%.3f,"pool_next":%d,"pool_size":%d,"exhausted":%s}\n',
    summary.requests, summary.duration / 1e6, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    offset + most * #threads, size, tostring(out)))
end

return M
