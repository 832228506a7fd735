# Gatehouse: `make run` to serve locally, `make test` to run every test.
SWIFT ?= swift

.DEFAULT_GOAL := help
.PHONY: help build run test test-fast test-swift migrate db-stop bench bench-endpoints bench-sweep docker-build compose-up screenshots

help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

build: ## Build the gatehouse binary (debug)
	@scripts/ensure-deps.sh
	$(SWIFT) build

run: ## Serve on http://localhost:8000 (starts a local Postgres under .data/ when DATABASE_URL is unset)
	@scripts/dev-run.sh serve

migrate: ## Apply migrations (to the local Postgres when DATABASE_URL is unset)
	@scripts/dev-run.sh migrate

test: ## Build and run every test against a throwaway Postgres
	@scripts/ensure-deps.sh
	@scripts/ensure-python-deps.sh
	@scripts/ensure-browser.sh
	python3 Tests/System/check_compose.py
	$(SWIFT) build --build-tests
	GATEHOUSE_BIN="$$($(SWIFT) build --show-bin-path)/gatehouse" \
		scripts/with-test-postgres.sh sh -c '$(SWIFT) test --skip-build --filter "$(TIMED_SUITES)" \
			&& $(SWIFT) test --skip-build $(foreach s,$(subst |, ,$(TIMED_SUITES) $(SYSTEM_SUITES)),--skip $(s)) \
			&& $(SWIFT) test --skip-build --filter "$(SYSTEM_SUITES)"'

# Suites that drive whole deployments (gatehouse serve, Chromium, Authlib, a
# django-oidc-provider peer under gunicorn): they run last, apart from the
# Swift suites, so neither side's CPU load stretches the other's timeouts.
SYSTEM_SUITES = RelyingPartyLibraryTests|DjangoSwitchOverTests|ConsoleBrowserTests

# Suites that measure time (pool waits, backoff, recovery after an outage, shutdown):
# they run first, on their own, so the CPU load of every other suite in parallel
# on a 2-core machine cannot stretch their clocks.
TIMED_SUITES = WorkerPoolTests|HostileInputAndFaultTests|ServeCommandTests

test-fast: ## The loop between edits: every test that needs no Postgres (the protocol rules), after a build
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --filter GatehouseCoreTests

test-swift: ## Every Swift test against a throwaway Postgres, without the Python system checks (fuzz, outage, shutdown, RP libraries, switch-over)
	@scripts/ensure-deps.sh
	$(SWIFT) build --build-tests
	GATEHOUSE_BIN="$$($(SWIFT) build --show-bin-path)/gatehouse" \
		scripts/with-test-postgres.sh $(SWIFT) test --skip-build --skip HostileInputAndFaultTests --skip gracefulShutdown --skip RelyingPartyLibraryTests --skip DjangoSwitchOverTests --skip ConsoleBrowserTests

bench: ## Run the benchmarks (release build, durable Postgres, wrk): endpoints, then the sweep
	@bench/run.sh
	@$(MAKE) --no-print-directory bench-sweep

bench-endpoints: ## Endpoint throughput and latency against ceilings and the peer (bench/run.sh)
	@bench/run.sh

bench-sweep: ## Sweep 1M expired tokens beside 1M live ones under /userinfo load
	@bench/sweep.sh

screenshots: ## Regenerate the PNGs in docs/screenshots/ (headless Chromium, a throwaway Postgres)
	$(SWIFT) build
	@scripts/ensure-browser.sh
	scripts/with-test-postgres.sh python3 scripts/screenshots.py "$$($(SWIFT) build --show-bin-path)/gatehouse"

docker-build: ## Build the container image gatehouse:latest
	docker build -t gatehouse .

compose-up: ## Run Postgres, migrations and the server with Docker Compose (needs GATEHOUSE_SECRET_KEY, POSTGRES_PASSWORD, OIDC_ISSUER)
	docker compose up --build

db-stop: ## Stop the local Postgres that `make run` started
	@scripts/dev-cluster.sh stop
