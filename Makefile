# sitrep's build. `make demo` and `make test` are the two commands a fresh
# clone needs; .ci/run installs the test dependencies and runs `make lint test`.

GO      ?= go
BIN     ?= bin/sitrep
PKGS    := ./...

.PHONY: build demo test bench lint fmt clean

build:
	$(GO) build -o $(BIN) ./cmd/sitrep

demo:
	$(GO) run ./cmd/sitrep demo

test:
	$(GO) vet $(PKGS)
	$(GO) test -race -count=1 -timeout 15m $(PKGS)

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
