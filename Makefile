GO ?= go
PREFIX ?= /usr/local
UNITDIR ?= /etc/systemd/system
BIN := bin/gokeepalived
FUZZTIME ?= 20s

.PHONY: all build test test-unit test-corpus lint fuzz bench-parse bench-ipvs bench-vrrp install install-dropin demo clean probe-golden record-adverts
.PHONY: vm-image vm-test vm-shell

all: build

build:
	$(GO) build -o $(BIN) ./cmd/gokeepalived

# Everything CI runs: lint, unit tests with the race detector, the corpus
# differential test (root + keepalived; skipped with the reason otherwise),
# the tests that need the IPVS VM (named TestVM*/TestE2E*; the others already
# ran on the host), and a short fuzz run.
test: lint
	$(GO) test -race -count=1 ./...
	@$(MAKE) --no-print-directory vm-test VM_OPTIONAL=1 VM_RUN='^Test(VM|E2E)'
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
	    $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 2s $$pkg >/dev/null; \
	  done; \
	done

# Re-record notify's golden files from real keepalived 2.2.7 (root,
# keepalived, iproute2; runs in a private network namespace).
.PHONY: record-notify
record-notify:
	notify/testdata/record/record.sh

# IPVS tests in a qemu VM with Debian's cloud kernel (scripts/vm/README.md).
# VM_PKGS: packages whose tests run there; VM_RUN: a -run regexp.
# make test runs vm-test with VM_OPTIONAL=1: a host without qemu or without
# access to the kernel package prints "SKIP: IPVS VM tests (reason)".
VM_PKGS ?= ./ipvs ./check ./cmd/gokeepalived
VM_RUN ?=
vm-image:
	scripts/vm/build-image.sh --force >/dev/null

vm-test:
	GO=$(GO) VM_OPTIONAL=$(VM_OPTIONAL) scripts/vm/run-tests.sh $(if $(VM_RUN),-run '$(VM_RUN)') $(VM_PKGS)

# Only the end-to-end LVS-DR cluster test (cmd/gokeepalived/e2e_vm_test.go):
# keepalived, gokeepalived and mixed directors.
.PHONY: vm-test-e2e
vm-test-e2e:
	GO=$(GO) VM_OPTIONAL=$(VM_OPTIONAL) scripts/vm/run-tests.sh -run '^TestE2ECluster' ./cmd/gokeepalived

vm-shell:
	GO=$(GO) scripts/vm/run-tests.sh -shell $(VM_PKGS)

# Re-record the HTTP_GET/SSL_GET golden files from Debian's genhash.
probe-golden:
	./check/testdata/probe/record.sh

bench-parse: build
	./scripts/bench-parse.sh

# Failover times of gokeepalived and keepalived 2.2.7 side by side in network
# namespaces (root, keepalived). RUNS=N runs each; V3=1 for v3 at 0.1 s;
# JITTER=1 for the advert intervals of 200 instances at advert_int 0.01.
bench-vrrp:
	./scripts/bench-vrrp.sh
# The health-check scheduler on 10,000 real servers at delay_loop 1: CPU per
# simulated minute (virtual time), lateness and CPU with the real loop, and
# the reload of that configuration. Then keepalived -C and gokeepalived -C
# side by side in the IPVS VM on 100, 10,000 and 50,000 loopback real servers
# (scripts/bench-check.sh; BENCH_CHECK_N, _KINDS, _WINDOW; skipped with the
# reason when the VM cannot run). Not part of make test.
.PHONY: bench-check
bench-check:
	$(GO) test -run '^$$' -bench 'Scheduler10k|Reload10k' -benchtime 3x ./check
	GO=$(GO) BENCH_CHECK_HOST=0 ./scripts/bench-check.sh

# The same side by side on this host's kernel at native speed, where the VM
# cannot keep up at 10,000 checks a second (keepalived with
# scripts/bench-fake-ipvs.c answering its IPVS requests; root, cc).
.PHONY: bench-check-host
bench-check-host:
	GO=$(GO) BENCH_CHECK_HOST=0 BENCH_CHECK_HOST_DAEMONS=1 ./scripts/bench-check.sh

# IPVS reconciler at 2,300 services / 37,000 destinations: in memory on the
# host, then against the real kernel in the test VM (scripts/bench-ipvs.sh).
bench-ipvs:
	GO=$(GO) ./scripts/bench-ipvs.sh

# The binary as gokeepalived, with a systemd unit of that name.
install: build
	install -D -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/sbin/gokeepalived
	install -d $(DESTDIR)$(UNITDIR)
	sed -e 's|@SBINDIR@|$(PREFIX)/sbin|' -e 's|@NAME@|gokeepalived|' scripts/gokeepalived.service \
	  > $(DESTDIR)$(UNITDIR)/gokeepalived.service

# The binary in keepalived's place. dpkg-divert keeps Debian's binary as
# /usr/sbin/keepalived.distrib so that package upgrades do not overwrite
# ours; Debian's keepalived.service then starts gokeepalived unchanged.
install-dropin: build
	@if [ -z "$(DESTDIR)" ] && command -v dpkg-divert >/dev/null; then \
	  dpkg-divert --local --rename --divert /usr/sbin/keepalived.distrib --add /usr/sbin/keepalived; \
	fi
	install -D -m 0755 $(BIN) $(DESTDIR)/usr/sbin/keepalived

# The classic two-director LVS-DR cluster end to end in the IPVS VM
# (scripts/demo.sh): a timeline of which director is master, which real
# servers are in IPVS, what the client sees, and the failover figures.
demo: build
	GO=$(GO) scripts/demo.sh

# Re-record the golden VRRP captures from the installed keepalived (root,
# tcpdump; ucarp optional).
record-adverts:
	vrrp/testdata/adverts/record.sh

clean:
	rm -rf bin
