-- POST BENCH_PATH grant_type=authorization_code, each request with its own
-- code from BENCH_POOL (a code works once) and redirect_uri=BENCH_REDIRECT_URI,
-- the client authenticated by BENCH_AUTH (an Authorization header value).
local common = dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")
local path, headers, redirect

function init(args)
  path = common.env("BENCH_PATH")
  headers = { ["Content-Type"] = "application/x-www-form-urlencoded", ["Authorization"] = common.env("BENCH_AUTH") }
  redirect = common.urlencode(common.env("BENCH_REDIRECT_URI"))
  common.load_pool(false)
end

function request()
  local body = "grant_type=authorization_code&code=" .. common.urlencode(common.next_value()) .. "&redirect_uri=" .. redirect
  return wrk.format("POST", path, headers, body)
end

setup = common.setup
done = common.done
