# tripod's build and checks. `make test` is what CI runs (through .ci/run).
GO       ?= go
PKGS     ?= ./...
FUZZTIME ?= 3000x

.PHONY: build slim test fmt-check vet unit fuzz crash bench generate clean report-screenshot

# The commit and build date stamped into `tripod version`; outside a git
# checkout the commit is left empty and the toolchain's own stamp is used.
COMMIT     ?= $(shell git rev-parse HEAD 2>/dev/null)
BUILD_DATE ?= $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
VERSION    ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS    := -X github.com/tripod-dev/tripod/internal/cli.Version=$(VERSION) \
              -X github.com/tripod-dev/tripod/internal/cli.Commit=$(COMMIT) \
              -X github.com/tripod-dev/tripod/internal/cli.BuildDate=$(BUILD_DATE)

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/tripod ./cmd/tripod

# tripod without the simulator (and its etcd server): --sim and sim serve
# say so. cmd/tripod's TestSlimBuildLinksNoSimulator checks what it links.
slim:
	$(GO) build -tags nosim -ldflags "$(LDFLAGS)" -o bin/tripod-slim ./cmd/tripod

test: fmt-check vet unit fuzz

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet $(PKGS)

# The e2e suite builds a -race binary and runs whole bring-ups: well past go
# test's default 10-minute limit on a loaded 2-core machine.
unit:
	$(GO) test -race -count=1 -timeout 40m $(PKGS)

# Bounded fuzzing of the parsers that read user files.
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzLoad$$' -fuzztime $(FUZZTIME) ./internal/inventory
	$(GO) test -run '^$$' -fuzz '^FuzzJournal$$' -fuzztime $(FUZZTIME) ./internal/state

# The crash sweep at every mutation boundary of a lab run (CI runs a
# reduced set as part of unit): SIGKILL, resume, compare with an
# uninterrupted run. About 20 minutes.
crash:
	TRIPOD_CRASH_FULL=1 $(GO) test -count=1 -timeout 60m -run TestCrashAnywhereConverges ./e2e

# Speed and memory are measured here, never asserted in timed tests.
bench:
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

# The run report of a simulated prod-3az up, rendered by headless Chromium
# into bin/report-prod-3az/report.png (the page itself is beside it). Needs
# Debian's chromium package: apt-get install -y chromium.
REPORT_DIR ?= bin/report-prod-3az
CHROMIUM   ?= chromium
report-screenshot: build
	@command -v $(CHROMIUM) >/dev/null || { echo "$(CHROMIUM) is not installed: install Debian's package with 'apt-get install -y chromium' (or set CHROMIUM=path)"; exit 1; }
	rm -rf $(REPORT_DIR) && mkdir -p $(REPORT_DIR)
	bin/tripod up --sim -i inventories/prod-3az.yaml --state-dir $(REPORT_DIR)/state > $(REPORT_DIR)/up.log
	cp $$(ls -d $(REPORT_DIR)/state/runs/*/ | tail -n 1)report.html $(REPORT_DIR)/report.html
	$(CHROMIUM) --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1280,3300 \
		--screenshot=$(abspath $(REPORT_DIR))/report.png file://$(abspath $(REPORT_DIR))/report.html
	@echo "screenshot: $(REPORT_DIR)/report.png"

generate:
	$(GO) generate ./...

clean:
	rm -rf bin
