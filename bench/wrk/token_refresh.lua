-- POST BENCH_PATH grant_type=refresh_token, each request with its own refresh
-- token from BENCH_POOL (a refresh token works once), the client
-- authenticated by BENCH_AUTH (an Authorization header value).
local common = dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")
local path, headers

function init(args)
  path = common.env("BENCH_PATH")
  headers = { ["Content-Type"] = "application/x-www-form-urlencoded", ["Authorization"] = common.env("BENCH_AUTH") }
  common.load_pool(false)
end

function request()
  local body = "grant_type=refresh_token&refresh_token=" .. common.urlencode(common.next_value())
  return wrk.format("POST", path, headers, body)
end

setup = common.setup
done = common.done
