-- POST BENCH_PATH grant_type=client_credentials (plus scope=BENCH_SCOPE when
-- set), the client authenticated by BENCH_AUTH (an Authorization header value).
local common = dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")

function init(args)
  local body = "grant_type=client_credentials"
  local scope = os.getenv("BENCH_SCOPE")
  if scope ~= nil and scope ~= "" then body = body .. "&scope=" .. common.urlencode(scope) end
  wrk.method = "POST"
  wrk.path = common.env("BENCH_PATH")
  wrk.body = body
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  wrk.headers["Authorization"] = common.env("BENCH_AUTH")
end

setup = common.setup
done = common.done
