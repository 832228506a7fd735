-- POST BENCH_PATH token=<access token>&token_type_hint=access_token (RFC 7662),
-- one token per request, cycling through the access tokens in BENCH_POOL as
-- userinfo.lua does (they stay valid, so values repeat); the caller, a
-- resource server, authenticated by BENCH_AUTH (an Authorization header value).
local common = dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")
local path, headers

function init(args)
  path = common.env("BENCH_PATH")
  headers = { ["Content-Type"] = "application/x-www-form-urlencoded", ["Authorization"] = common.env("BENCH_AUTH") }
  common.load_pool(true)
end

function request()
  local body = "token=" .. common.urlencode(common.next_value()) .. "&token_type_hint=access_token"
  return wrk.format("POST", path, headers, body)
end

setup = common.setup
done = common.done
