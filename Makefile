# pvsc: two commands matter. `make demo` runs the main job on built-in data;
# `make test` runs every test (what CI runs, via .ci/run).
SHELL := /bin/bash
export PATH := /usr/local/go/bin:$(HOME)/go/bin:$(PATH)
GO ?= go
FUZZTIME ?= 5s
# Packages with concurrency run under the race detector.
RACE_PKGS := ./runtime/... ./server/... ./openstack/... ./lab/...

.PHONY: all demo test browser vet fmt-check generate generate-check conform unit race fuzz fuzz-long opa-test e2e bench bench-http bench-quick bench-full difftest verify build clean

all: build

build:
	$(GO) build ./...

demo:
	$(GO) run ./cmd/pvsc demo

## test: everything CI runs; under ~20 minutes on 2 cores.
test: fmt-check vet generate-check conform browser unit race fuzz opa-test bench-quick e2e

## browser: headless Chromium (Debian's package) for the dashboard's browser test.
browser:
	bash scripts/install-browser.sh

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	@$(GO) run ./cmd/pvsc fmt -l specs/... | (! grep .) || (echo "pvsc fmt needed on the files above"; exit 1)

vet:
	$(GO) vet ./...

generate:
	$(GO) generate ./...

## generate-check: go generate must leave no diff (the generated tables are committed).
generate-check:
	bash scripts/check-generate.sh

## conform: every OpenStack row's document paths resolve in some real message of the
## corpus captured from the real stack (scripts/openstack/capture.sh).
conform:
	$(GO) run ./cmd/pvsc check --samples openstack/testdata/captured specs/openstack

unit:
	$(GO) test -count=1 ./...

race:
	$(GO) test -count=1 -race $(RACE_PKGS)

## fuzz: every decoder's fuzz test (the spec parser; replay lines, notifications, REST calls
## and the neutral form, seeded from the captured corpus; the snapshot loader), FUZZTIME each.
## Minimising each new interesting input is capped: uncapped, it took the whole budget.
FUZZ_TARGETS := ./dsl:FuzzParse ./runtime/intercept:FuzzLine ./runtime/intercept:FuzzNotification \
	./runtime/intercept:FuzzRequest ./runtime/intercept:FuzzNeutral ./runtime:FuzzSnapshot ./runtime:FuzzCheckpoint
fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do pkg=$${t%%:*}; fn=$${t##*:}; \
		echo "fuzz $$pkg $$fn ($(FUZZTIME))"; \
		$(GO) test -run '^$$' -fuzz "^$$fn\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 100x $$pkg; done

## opa-test: the OPA peer is its own module (the main module does not carry OPA).
opa-test:
	cd lab/opa && $(GO) vet ./... && $(GO) test -count=1 ./...

## e2e: installs and starts Keystone, Neutron, RabbitMQ and MariaDB when missing
## (scripts/openstack/stack.sh ensure), then the end-to-end tests against them.
e2e:
	bash scripts/e2e.sh

## verify: prove every shipped property's N table and verdicts by SAT (about 15 s).
verify:
	$(GO) run ./cmd/pvsc verify specs/...

## difftest: a million seeded operations through the proactive and the SAT engine
## (make test runs ten thousand); mismatches are shrunk into difftest-out/.
DIFFTEST_OPS ?= 1000000
DIFFTEST_SEED ?= 1
difftest:
	$(GO) run ./cmd/pvsc difftest --ops $(DIFFTEST_OPS) --seed $(DIFFTEST_SEED) --out difftest-out

fuzz-long:
	$(MAKE) fuzz FUZZTIME=10m

## bench-http: pvsc serve's POST /v1/decide against OPA's own server, same property, data and
## bodies, at 5,000/10,000/20,000 per second (about 90 s); bench-out/http/http.txt.
bench-http: bin/pvsc-opa bin/opa
	$(GO) build -o bin/pvsc ./cmd/pvsc
	scripts/bench-http.sh bench-out/http

## bin/opa: OPA's own server, built from the OPA module lab/opa pins.
bin/opa: lab/opa/go.mod lab/opa/go.sum
	cd lab/opa && $(GO) build -o ../../bin/opa github.com/open-policy-agent/opa

## bin/pvsc-opa: the OPA peer (its own module, lab/opa) that pvsc bench runs in its own process.
bin/pvsc-opa: $(shell find lab/opa -name '*.go' -o -name '*.rego' -o -name go.mod -o -name go.sum)
	cd lab/opa && $(GO) build -o ../../bin/pvsc-opa ./cmd/pvsc-opa

## bench-quick: pvsc bench --quick (three small datasets, every engine, seconds); CI runs it.
bench-quick: bin/pvsc-opa
	$(GO) run ./cmd/pvsc bench --quick --opa bin/pvsc-opa --out bench-out/quick
	$(GO) run ./cmd/pvsc bench --catalogue --quick --out bench-out/catalogue-quick > /dev/null

## bench-full: the paper's grid (10k..100k ports) with SAT and OPA, then the proactive
## engine alone up to 1M ports; writes bench-out/full (BENCHMARKS.md shows one run; about 30 min).
bench-full: bin/pvsc-opa
	$(GO) run ./cmd/pvsc bench --scale --opa bin/pvsc-opa --out bench-out/full --progress on
	$(GO) run ./cmd/pvsc bench --catalogue --scale --out bench-out/catalogue -v

## bench: the Go benchmarks (figures in README.md).
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./runtime/... ./solver/...

clean:
	rm -rf bin out bench-out difftest-out
