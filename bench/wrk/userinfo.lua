-- GET BENCH_PATH with "Authorization: Bearer <token>", cycling through the
-- access tokens in BENCH_POOL (they stay valid, so values repeat).
local common = dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")
local path

function init(args)
  path = common.env("BENCH_PATH")
  common.load_pool(true)
end

function request()
  return wrk.format("GET", path, { ["Authorization"] = "Bearer " .. common.next_value() })
end

setup = common.setup
done = common.done
