# sitrep's build. `make demo` and `make test` are the two commands a fresh
# clone needs; .ci/run installs the test dependencies and runs `make lint test`.

GO      ?= go
BIN     ?= bin/sitrep
PKGS    := ./...

FUZZTIME ?= 3s

.PHONY: build demo test golden fuzz bench lint fmt clean

build:
	$(GO) build -o $(BIN) ./cmd/sitrep

demo:
	$(GO) run ./cmd/sitrep demo

test:
	$(GO) vet $(PKGS)
	$(GO) test -race -count=1 -timeout 15m $(PKGS)

# Rewrites the golden files (the TUI's views and panes, the postmortem
# renderings) from the code as it is; review `git diff testdata` before
# committing them.
golden:
	$(GO) test -count=1 -run . ./tui/ ./store/postmortem/ -update

# Every fuzz target for FUZZTIME beyond its seed corpus (which `make test`
# already runs). go test fuzzes one target per package per run, so each
# package's test binary is built once, instrumented, and run once per target
# with the corpus cache go test itself uses; a failure is reported and the
# rest still run. A crasher is written to the package's testdata/fuzz/FuzzName:
# fix it and commit it.
fuzz:
	@mkdir -p bin/fuzz; failed=""; cache=$$($(GO) env GOCACHE)/fuzz; \
	for dir in $$(grep -rl --include='*_test.go' '^func Fuzz' . | xargs -n1 dirname | sort -u); do \
		targets=$$(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' $$dir/*_test.go); \
		pkg=$$($(GO) list $$dir); bin=$(CURDIR)/bin/fuzz/$$(echo $$pkg | tr / _).test; \
		if ! $(GO) test -c -fuzz "^$$(echo $$targets | cut -d' ' -f1)\$$" -o $$bin $$dir; then \
			failed="$$failed $$dir"; continue; \
		fi; \
		for target in $$targets; do \
			echo "== $$target ($$pkg)"; \
			(cd $$dir && $$bin -test.run '^$$' -test.fuzz "^$$target\$$" -test.fuzztime $(FUZZTIME) \
				-test.fuzzcachedir $$cache/$$pkg -test.timeout 10m) || failed="$$failed $$target"; \
		done; \
	done; \
	if [ -n "$$failed" ]; then echo "fuzz failed:$$failed"; exit 1; fi

# Figures for BENCHMARKS.md. -run '^$$' skips the tests. cmd/sitrep's
# BenchmarkProcess* build the binary with go build and drive it in a pty
# (SITREP_BENCH_IDLE=30s for the issue's idle window); -p 1 runs one
# package at a time, so no package's benchmarks share the cores with
# another's.
bench:
	$(GO) test -p 1 -run '^$$' -bench . -benchmem -count=1 -timeout 30m $(PKGS)

# staticcheck is pinned in go.mod's tool block, so lint needs nothing
# installed beyond Go and reads the same version on every machine.
lint:
	$(GO) vet $(PKGS)
	$(GO) tool staticcheck $(PKGS)
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin
