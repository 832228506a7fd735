-- GET BENCH_PATH (discovery, JWKS): the same request every time.
local common = dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")

function init(args)
  wrk.method = "GET"
  wrk.path = common.env("BENCH_PATH")
end

setup = common.setup
done = common.done
