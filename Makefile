GO ?= go
PREFIX ?= /usr/local
BIN := bin/gokeepalived
FUZZTIME ?= 20s

.PHONY: all build test test-unit test-corpus lint fuzz bench-parse install demo clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/gokeepalived

# Everything CI runs: lint, unit tests with the race detector, the corpus
# differential test (root + keepalived; skipped with the reason otherwise),
# and a short fuzz run.
test: lint
	$(GO) test -race -count=1 ./...
	$(MAKE) fuzz FUZZTIME=10s

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

# A short run of every fuzz target.
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "fuzz $$pkg $$t"; \
	    $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$pkg >/dev/null; \
	  done; \
	done

bench-parse: build
	./scripts/bench-parse.sh

install: build
	install -D -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/sbin/gokeepalived

# Until the daemon exists, the demo is the linter on the classic
# two-director LVS-DR example.
demo: build
	@echo '$$ gokeepalived -t -f testdata/lvs-dr.conf'
	@./$(BIN) -t -f testdata/lvs-dr.conf; echo "exit status $$?"

clean:
	rm -rf bin
