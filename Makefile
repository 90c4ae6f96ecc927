# spinoci — containerd shim for Spin applications distributed as OCI artifacts.
#
# Every tool the tests need (containerd, ctr, the OCI registry) is built from
# source with `go install` at a pinned version into .cache/tools/, which is
# ignored by git and reused when present.

SHELL := /bin/bash
.DEFAULT_GOAL := help

GO ?= go
PREFIX ?= /usr/local

# Stamped into every binary (--version, the CLI's user agent): the release
# from the newest v* tag (git describe), else 0.1.0-dev; the commit from git.
VERSION ?= $(shell git describe --tags --match 'v[0-9]*' --dirty 2>/dev/null | sed 's/^v//' | grep . || echo 0.1.0-dev)
COMMIT ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
BUILDINFO := github.com/spinoci/spinoci/cmd/internal/buildinfo
LDFLAGS := -X $(BUILDINFO).version=$(VERSION) -X $(BUILDINFO).commit=$(COMMIT)

SHIM_NAME := containerd-shim-spinoci-v1
BIN_DIR := $(CURDIR)/bin
SHIM := $(BIN_DIR)/$(SHIM_NAME)
# The shim binary is the start action alone (static, no cgo: it runs on
# every start); the shim server and the app process run from these two,
# installed next to it.
SERVER_BIN := $(BIN_DIR)/$(SHIM_NAME)-server
APP_BIN := $(BIN_DIR)/$(SHIM_NAME)-app
APPS_DIR := $(CURDIR)/build/apps
TOOLS_DIR := $(CURDIR)/.cache/tools

CONTAINERD_VERSIONS := 2.4.2 2.2.9
# The version the demo and the benchmark run against.
CONTAINERD_MAIN := 2.4.2
REGISTRY_VERSION := 3.1.2
STATICCHECK_VERSION := v0.8.2
CONTAINERD_MODULE := github.com/containerd/containerd/v2
# containerd's btrfs snapshotter needs the btrfs C headers; the tests use the
# native snapshotter only.
CONTAINERD_TAGS := no_btrfs

# A first start's compile stage's malloc settings (shim.CompileStageTunables,
# padded), with which make bench-compile compiles too.
COMPILE_STAGE_TUNABLES := glibc.malloc.hugetlb=1:glibc.malloc.top_pad=67108864

CONTAINERD_BINS := $(foreach v,$(CONTAINERD_VERSIONS),$(TOOLS_DIR)/containerd-v$(v)/containerd $(TOOLS_DIR)/containerd-v$(v)/ctr)
REGISTRY_BIN := $(TOOLS_DIR)/registry-v$(REGISTRY_VERSION)/registry
# crictl drives containerd's CRI plugin in the Kubernetes (CRI) end-to-end tests.
CRICTL_VERSION := 1.37.0
CRICTL_BIN := $(TOOLS_DIR)/crictl-v$(CRICTL_VERSION)/crictl
RUNC_SHIM_BIN := $(TOOLS_DIR)/containerd-v$(CONTAINERD_MAIN)/containerd-shim-runc-v2
# containerd 1.7 (task API v2, config version 2). `go install …@v1.7.x` is
# refused (its go.mod has exclude directives), so it is built from a wrapper
# module generated into the tool's directory (outside this module's tree).
CONTAINERD17_VERSION := 1.7.35
CONTAINERD17_DIR := $(TOOLS_DIR)/containerd-v$(CONTAINERD17_VERSION)
CONTAINERD_BINS += $(CONTAINERD17_DIR)/containerd $(CONTAINERD17_DIR)/ctr

E2E_TIMEOUT ?= 50m
E2E_FLAGS ?=

# make bench: the most apps running at once in the density run (empty: the
# benchmark's default, 200), and extra flags of test/e2e/bench (-quick: a
# short run for development; -throughput-only: requests/s alone, -density-only:
# idle memory per app alone, no report).
BENCH_APPS ?=
BENCH_FLAGS ?=

# Fuzz targets (package:FuzzName), each run for FUZZTIME by `make fuzz`.
FUZZTIME ?= 30s
FUZZ_TARGETS := ./lock:FuzzParse ./lock:FuzzCheckFilePath ./lock:FuzzDecodeInline \
	./artifact:FuzzLoad ./artifact/appdir:FuzzArchiveUnpack ./artifact/appdir:FuzzMaterializeLinked ./engine/executor/wagi:FuzzParseCGI \
	./engine:FuzzRouteMatch ./artifact/manifest:FuzzLoad

# Environment read by test/e2e (harness.Paths).
E2E_ENV := SPINOCI_SHIM=$(SHIM) SPINOCI_APPS_DIR=$(APPS_DIR) SPINOCI_TOOLS_DIR=$(TOOLS_DIR)

# The spinoci CLI (push/pull/inspect/run), built with the shim by `make build`.
SPINOCI_CLI := $(BIN_DIR)/spinoci
E2E_ENV += SPINOCI_CLI=$(SPINOCI_CLI)

# The C toolchains `make release` links with, by the host's architecture:
# its gcc and a cross gcc for the other one, with that architecture's libc
# (headers and the static libc.a, which Debian packages apart from the cross
# compiler). The recipe picks one, so that no other target runs `go env`.
RELEASE_DEPS_amd64 = x86_64-linux-gnu-gcc=gcc-x86-64-linux-gnu aarch64-linux-gnu-gcc=gcc-aarch64-linux-gnu /usr/aarch64-linux-gnu/include/stdio.h=libc6-dev-arm64-cross
RELEASE_DEPS_arm64 = x86_64-linux-gnu-gcc=gcc-x86-64-linux-gnu /usr/x86_64-linux-gnu/include/stdio.h=libc6-dev-amd64-cross
# What `make release-test` runs the other architecture's binaries with.
RELEASE_TEST_DEPS_amd64 = qemu-aarch64-static=qemu-user-static
RELEASE_TEST_DEPS_arm64 = qemu-x86_64-static=qemu-user-static

.PHONY: help release release-test deps build spinoci install uninstall tools testapps test unit-test e2e-test lint demo bench bench-compile clean fuzz soak

help: ## Show this list of targets
	@echo "Targets:"
	@grep -E '^[a-z][a-z0-9-]*:.*## ' $(MAKEFILE_LIST) | \
		awk 'BEGIN {FS = ":.*## "}; {printf "  %-17s %s\n", $$1, $$2}'
	@echo "Variables: PREFIX=$(PREFIX) (install), E2E_FLAGS (extra go test flags for e2e, e.g. -run TestX), E2E_TIMEOUT=$(E2E_TIMEOUT)"
	@echo "           FUZZTIME=$(FUZZTIME) (fuzz: time per target)"
	@echo "           BENCH_APPS (bench: most apps of the density run, default 200), BENCH_FLAGS (e.g. -quick, -start-only, -first-start-only, -throughput-only, -density-only)"

build: ## Build the shim, its server and app binaries (containerd-shim-spinoci-v1-server, -app) and the spinoci CLI into bin/ (version and commit stamped)
	CGO_ENABLED=0 $(GO) build -ldflags "$(LDFLAGS)" -o $(SHIM) ./cmd/$(SHIM_NAME)
	CGO_ENABLED=0 $(GO) build -ldflags "$(LDFLAGS)" -o $(SERVER_BIN) ./cmd/$(SHIM_NAME)/server
	$(GO) build -ldflags "$(LDFLAGS)" -o $(APP_BIN) ./cmd/$(SHIM_NAME)/app

build: spinoci
spinoci: ## Build the spinoci CLI into bin/spinoci (also part of build)
	$(GO) build -ldflags "$(LDFLAGS)" -o $(SPINOCI_CLI) ./cmd/spinoci

install: build ## Install the shim and spinoci into PREFIX/bin (default PREFIX=/usr/local)
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(SHIM) $(DESTDIR)$(PREFIX)/bin/$(SHIM_NAME)
	install -m 0755 $(SERVER_BIN) $(DESTDIR)$(PREFIX)/bin/$(SHIM_NAME)-server
	install -m 0755 $(APP_BIN) $(DESTDIR)$(PREFIX)/bin/$(SHIM_NAME)-app
	install -m 0755 $(SPINOCI_CLI) $(DESTDIR)$(PREFIX)/bin/spinoci

uninstall: ## Remove the shim and spinoci from PREFIX/bin (running shims keep running)
	rm -f $(DESTDIR)$(PREFIX)/bin/$(SHIM_NAME) $(DESTDIR)$(PREFIX)/bin/$(SHIM_NAME)-server $(DESTDIR)$(PREFIX)/bin/$(SHIM_NAME)-app $(DESTDIR)$(PREFIX)/bin/spinoci

tools: $(CONTAINERD_BINS) $(REGISTRY_BIN) $(CRICTL_BIN) ## Build pinned containerd + ctr (2.4.2, 2.2.9, 1.7.35), registry (3.1.2) and crictl (1.37.0) into .cache/tools (skipped if present)

$(TOOLS_DIR)/containerd-v%/containerd:
	GOBIN=$(@D) $(GO) install -tags $(CONTAINERD_TAGS) $(CONTAINERD_MODULE)/cmd/containerd@v$*

$(TOOLS_DIR)/containerd-v%/ctr:
	GOBIN=$(@D) $(GO) install -tags $(CONTAINERD_TAGS) $(CONTAINERD_MODULE)/cmd/ctr@v$*

$(TOOLS_DIR)/containerd-v%/containerd-shim-runc-v2:
	GOBIN=$(@D) $(GO) install -tags $(CONTAINERD_TAGS) $(CONTAINERD_MODULE)/cmd/containerd-shim-runc-v2@v$*

$(CONTAINERD17_DIR)/containerd $(CONTAINERD17_DIR)/ctr &:
	rm -rf $(CONTAINERD17_DIR)/src && mkdir -p $(CONTAINERD17_DIR)/src
	cd $(CONTAINERD17_DIR)/src && $(GO) mod init spinoci.tools/containerd17 && \
		printf '//go:build tools\n\npackage tools\n\nimport (\n\t_ "github.com/containerd/containerd/cmd/containerd"\n\t_ "github.com/containerd/containerd/cmd/ctr"\n)\n' >tools.go && \
		$(GO) get github.com/containerd/containerd@v$(CONTAINERD17_VERSION) && $(GO) mod tidy && \
		$(GO) build -tags $(CONTAINERD_TAGS) -o $(CONTAINERD17_DIR)/ github.com/containerd/containerd/cmd/containerd github.com/containerd/containerd/cmd/ctr

$(CRICTL_BIN):
	GOBIN=$(@D) $(GO) install sigs.k8s.io/cri-tools/cmd/crictl@v$(CRICTL_VERSION)

$(REGISTRY_BIN):
	GOBIN=$(@D) $(GO) install github.com/distribution/distribution/v3/cmd/registry@v$(REGISTRY_VERSION)

release: ## Static, stripped binaries for linux/amd64 and linux/arm64 as tarballs + SHA256SUMS in dist/
	DEPS_EXTRA="$(RELEASE_DEPS_$(shell $(GO) env GOHOSTARCH))" test/deps.sh
	deploy/release.sh $(VERSION) $(COMMIT) $(CURDIR)/dist

release-test: release tools testapps ## Check dist/: checksums, static binaries reporting the release, end-to-end tests of the host's (root); the other architecture's run under qemu-user
	DEPS_EXTRA="$(RELEASE_TEST_DEPS_$(shell $(GO) env GOHOSTARCH))" test/deps.sh
	$(E2E_ENV) test/release-check.sh $(CURDIR)/dist $(VERSION) $(COMMIT)

deps: ## Install the Debian packages tests and demo need, when missing (as root; else name them)
	test/deps.sh

testapps: deps ## Build the test wasm apps into build/apps/
	test/apps/build.sh $(APPS_DIR)
	test/apps/build-js.sh $(APPS_DIR)

# testapps first: the component unit tests skip when the JS apps are not built.
test: testapps unit-test e2e-test ## Test apps, unit tests, then end-to-end tests against real containerd + registry (e2e needs root)

unit-test: ## Unit tests only
	$(GO) test -timeout 20m ./lock/... ./artifact/... ./engine/... ./shim/... ./cmd/... ./test/testwasm/... ./test/testio/... ./test/cpubench/... ./test/servers/...

e2e-test: build tools testapps ## End-to-end tests only (needs root)
	$(E2E_ENV) $(GO) test -count=1 -v -timeout $(E2E_TIMEOUT) $(E2E_FLAGS) ./test/e2e/...

fuzz: ## Run every fuzz target for FUZZTIME each (default 30s; e.g. make fuzz FUZZTIME=10m)
	GO=$(GO) test/fuzz.sh $(FUZZTIME) $(FUZZ_TARGETS)

soak: build tools testapps ## The fault suite at full scale (more requests, longer holds; needs root)
	SPINOCI_SOAK=1 $(E2E_ENV) $(GO) test -count=1 -v -timeout 60m -run 'TestFault' $(E2E_FLAGS) ./test/e2e/...

lint: ## gofmt check, go mod tidy check, go vet and staticcheck
	@files=$$(find . -name '*.go' -not -path './.cache/*' -not -path './build/*'); \
		unformatted=$$(gofmt -l $$files); \
		if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	@$(GO) mod tidy -diff || { echo "go.mod/go.sum are not tidy: run go mod tidy"; exit 1; }
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...

demo: deps build tools testapps ## Run the example Spin app through a private containerd + registry and print its responses
	$(E2E_ENV) $(GO) run ./test/e2e/demo

bench: build tools testapps $(RUNC_SHIM_BIN) ## Measure the performance targets (start, req/s, idle memory, static files) against runc + native Go; writes docs/benchmarks.md and its plots
	DEPS_EXTRA="runc wrk" test/deps.sh
	$(E2E_ENV) $(GO) run ./test/e2e/bench -out $(CURDIR)/docs/benchmarks.md $(if $(BENCH_APPS),-apps $(BENCH_APPS)) $(BENCH_FLAGS)

bench-compile: testapps ## Measure the compile floor of a first start: each first-start app compiled with each compiler setting (wall and CPU time)
	GLIBC_TUNABLES=$(COMPILE_STAGE_TUNABLES) $(GO) test -run '^$$' -bench 'BenchmarkCompile|BenchmarkStoreFastEntry' -benchtime 1x ./engine/internal/capi/

clean: ## Remove bin/, build/ and dist/ (keeps the .cache/tools)
	rm -rf $(BIN_DIR) $(CURDIR)/build $(CURDIR)/dist
