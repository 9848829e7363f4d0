# shypecim: the two commands of the README are `make run` and `make test`.

GO      ?= go
FUZZTIME ?= 10s

.PHONY: run test deps vtpm-deps build bench bench-e2e bench-http fuzz vet

# Runs the server with its embedded defaults: simulated hypervisor, embedded schema,
# data under $SHYPE_DATA or ~/.local/state/shypecim.
run: vtpm-deps
	$(GO) run ./cmd/shyped $(ARGS)

# The fuzz targets, as package:Target; make test runs each for FUZZTIME.
FUZZ := ./mof:FuzzParse ./mof/compile:FuzzCompile ./cimom/cimxml:FuzzDecode ./cimom/cimxml:FuzzDecodeResponse \
	./cimom/query:FuzzParse ./acm:FuzzLoad ./acm:FuzzChineseWall ./acm/ezpolicy:FuzzParse \
	./acm:FuzzLabel ./acm:FuzzHooksLifecycle ./hypervisor/hvsim:FuzzLifecycle \
	./cmd/shypectl/xmconfig:FuzzParse

# Runs every test: vet, the unit and end-to-end tests with the race detector, and a
# short run of each fuzz target.
test: deps vet
	$(GO) test -race -count=1 ./...
	$(MAKE) --no-print-directory fuzz

vet:
	$(GO) vet ./...
	@unformatted=$$(gofmt -l .); if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi

# What the tests need: wbemcli and swtpm from Debian (installed when run as root and
# missing), the Go modules.
deps:
	@if ! command -v wbemcli >/dev/null || ! command -v swtpm >/dev/null || ! command -v swtpm_setup >/dev/null; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			echo "installing sblim-wbemcli swtpm swtpm-tools"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq sblim-wbemcli swtpm swtpm-tools >/dev/null; \
		else \
			echo "warning: wbemcli or swtpm missing; as root: apt-get install -y sblim-wbemcli swtpm swtpm-tools" >&2; \
		fi; \
	fi
	$(GO) mod download

# swtpm for vTPMs, installed when run as root; without it the server runs without vTPMs.
vtpm-deps:
	@if ! command -v swtpm >/dev/null && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing swtpm swtpm-tools"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq swtpm swtpm-tools >/dev/null || true; \
	fi

build:
	$(GO) build -o bin/ ./cmd/...

# Benchmarks: compiling the DMTF schema in-process and as a whole mofc process.
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./mof/compile ./cmd/mofc ./cimom/repository

# End-to-end benchmarks through CIM-XML against the real server (domains, access
# control, vTPMs on swtpm), and those of the layers beneath.
bench-e2e: deps
	$(GO) test -run '^$$' -bench . -benchtime 20x ./tests
	$(GO) test -run '^$$' -bench . -benchtime 20x ./vtpm ./vtpm/swtpm ./providers/... ./hypervisor/hvsim

# The CIM-XML server under wrk against the ceiling of the machine (cmd/cimbench).
bench-http: build
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get install -y -qq wrk >/dev/null; }
	bin/cimbench -shyped bin/shyped -mofc bin/mofc -schema ../shared/schema/cim-2.49.0

# Each fuzz target for FUZZTIME; longer by hand: make fuzz FUZZTIME=10m
fuzz:
	@for t in $(FUZZ); do \
		pkg=$${t%%:*}; name=$${t#*:}; \
		echo "$(GO) test -run '^$$' -fuzz '^$$name$$' -fuzztime $(FUZZTIME) $$pkg"; \
		out=$$($(GO) test -run '^$$' -fuzz "^$$name$$" -fuzztime $(FUZZTIME) "$$pkg" 2>&1); rc=$$?; echo "$$out"; \
		if [ $$rc -ne 0 ] && echo "$$out" | grep -q 'context deadline exceeded' && ! echo "$$out" | grep -q 'Failing input written'; then \
			echo "fuzz engine timed out a worker at the end of the run without a failing input; running $$name again"; \
			$(GO) test -run '^$$' -fuzz "^$$name$$" -fuzztime $(FUZZTIME) "$$pkg" || exit 1; \
		elif [ $$rc -ne 0 ]; then exit 1; fi; \
	done
