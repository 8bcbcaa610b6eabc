# Lunar: the two quick-start commands are `make run` and `make test`.
SWIFT ?= swift
DATA ?= synthetic
STRATEGY ?= strategies/sma_cross.lua

.PHONY: deps build release run test bench clean

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

clean:
	rm -rf .build
