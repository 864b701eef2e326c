# sitrep's build. `make demo` and `make test` are the two commands a fresh
# clone needs; .ci/run installs the test dependencies and runs `make lint test`
# and a short `make fuzz`.

GO      ?= go
BIN     ?= bin/sitrep
PKGS    := ./...

FUZZTIME ?= 3s

.PHONY: build demo test fuzz bench lint fmt clean

build:
	$(GO) build -o $(BIN) ./cmd/sitrep

demo:
	$(GO) run ./cmd/sitrep demo

test:
	$(GO) vet $(PKGS)
	$(GO) test -race -count=1 -timeout 15m $(PKGS)

# Every fuzz target for FUZZTIME beyond its seed corpus (which `make test`
# already runs). go test fuzzes one target per package per run, so each
# runs on its own; a failure is reported and the rest still run. A crasher
# is written to the package's testdata/fuzz/FuzzName: fix it and commit it.
fuzz:
	@failed=""; \
	for file in $$(grep -rl --include='*_test.go' '^func Fuzz' . | sort); do \
		for target in $$(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' $$file); do \
			echo "== $$target ($$(dirname $$file))"; \
			$(GO) test -run '^$$' -fuzz "^$$target\$$" -fuzztime $(FUZZTIME) $$(dirname $$file) \
				|| failed="$$failed $$target"; \
		done; \
	done; \
	if [ -n "$$failed" ]; then echo "fuzz targets failed:$$failed"; exit 1; fi

# Figures for BENCHMARKS.md. -run '^$$' skips the tests.
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count=1 -timeout 30m $(PKGS)

lint:
	$(GO) vet $(PKGS)
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin
