# Lunar: the two quick-start commands are `make run` and `make test`.
SWIFT ?= swift
DATA ?= synthetic
STRATEGY ?= strategies/sma_cross.lua

.PHONY: deps build release run test bench fuzz fuzz-smoke clean

deps:
	@scripts/install-deps.sh

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

# Builds (release) and backtests sma_cross on the built-in synthetic universe.
run: release
	.build/release/lunar run $(STRATEGY) --data $(DATA) --fees 0.001

# Every test, as CI runs them.
test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

bench: release
	.build/release/lunar bench

# libFuzzer + AddressSanitizer on the loaders and the sandbox (docs/fuzzing.md): builds the
# fuzz targets in .build-fuzz, runs each for FUZZ_SECONDS, then checks its corpus for leaks.
# Any crash, trap, leak, timeout or out-of-memory fails. FUZZ_TARGETS picks some of
# csv panelcache manifest strategy pattern parquet.
FUZZ_SECONDS ?= 60
FUZZ_SMOKE_SECONDS ?= 8
FUZZ_SMOKE_LEAK_INPUTS ?= 30
FUZZ_TARGETS ?=
fuzz: deps
	FUZZ_SECONDS=$(FUZZ_SECONDS) SWIFT=$(SWIFT) Fuzz/run.sh $(FUZZ_TARGETS)

# The same for a few seconds per target, as CI runs it after the tests.
fuzz-smoke: deps
	FUZZ_SECONDS=$(FUZZ_SMOKE_SECONDS) FUZZ_LEAK_INPUTS=$(FUZZ_SMOKE_LEAK_INPUTS) SWIFT=$(SWIFT) Fuzz/run.sh $(FUZZ_TARGETS)

clean:
	rm -rf .build .build-fuzz
