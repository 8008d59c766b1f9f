# kubectl-netcheck. `make help` lists targets. Everything runs offline: Go modules
# come from the module proxy and host packages from Debian apt.
SHELL := /bin/bash
GO ?= go
VERSION ?= dev
LDFLAGS := -s -w -X github.com/kubectl-netcheck/kubectl-netcheck/pkg/version.Version=$(VERSION)
CLUSTER := $(GO) run ./e2e/cluster

.PHONY: help build image test test-unit test-netns e2e cluster-up cluster-down cluster-env cluster-status demo bench lint

help: ## list targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

build: ## build the plugin and the probe into bin/
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o bin/ ./cmd/kubectl-netcheck ./cmd/netcheck-probe

image: ## build the probe image as a docker-archive under dist/ (offline)
	$(GO) run ./image -version $(VERSION) -o dist/netcheck-probe-image.tar

lint: ## gofmt, go vet, go mod tidy must leave no diff
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...
	$(GO) vet -tags e2e ./e2e/...
	$(GO) mod tidy -diff

test-unit: ## unit tests and probe tests in real network namespaces (root)
	$(GO) test -count=1 ./...

e2e: build ## the e2e suite against the local cluster (brings it up if needed; tests run bin/kubectl-netcheck)
	$(CLUSTER) up
	$(GO) test -count=1 -tags e2e -timeout 40m ./e2e/...

test: lint test-unit e2e test-release ## everything CI runs

cluster-up: ## bring up the two-node local cluster (idempotent)
	$(CLUSTER) up

cluster-down: ## tear the local cluster down, leaving nothing behind
	$(CLUSTER) down

cluster-env: ## print `export KUBECONFIG=... PATH=...` for the cluster's kubectl and the plugin
	@$(CLUSTER) env

cluster-status: ## show what runs
	@$(CLUSTER) status

demo: ## local cluster, a deployment with an injected fault, and netcheck naming it
	$(CLUSTER) up
	$(GO) run ./e2e/demo

bench: ## benchmarks (figures go in the notes)
	$(GO) test -run '^$$' -bench . -benchmem ./...

# Release (issue #5): goreleaser snapshot, probe image and krew manifest, all offline.
# The pinned goreleaser is installed once into hack/tools/bin by hack/tools/install.sh.
GORELEASER := $$(hack/tools/install.sh goreleaser)
RELEASE_DIST := dist/release
# goreleaser reads the git remote only to name the repository. A workspace
# without one gets it through git's environment config: nothing is written to
# .git/config and nothing is fetched. Clones with a remote keep theirs.
RELEASE_GIT_ENV := $(if $(shell git remote 2>/dev/null),,GIT_CONFIG_COUNT=1 \
	GIT_CONFIG_KEY_0=remote.origin.url GIT_CONFIG_VALUE_0=https://github.com/kubectl-netcheck/kubectl-netcheck.git)

.PHONY: release-check release-snapshot test-release goreleaser-tool

# Fails the target when the install fails; a command substitution alone would not.
goreleaser-tool:
	@hack/tools/install.sh goreleaser >/dev/null

release-check: goreleaser-tool ## validate .goreleaser.yaml with the pinned goreleaser
	$(GORELEASER) check

release-snapshot: goreleaser-tool ## offline snapshot in dist/release: archives, checksums, probe images, krew manifest
	$(RELEASE_GIT_ENV) $(GORELEASER) release --snapshot --clean --skip=publish --parallelism 2
	$(GO) run ./hack/krewcheck render -template krew/netcheck.yaml -dist $(RELEASE_DIST) -o $(RELEASE_DIST)/krew/netcheck.yaml
	$(GO) run ./hack/krewcheck check -dist $(RELEASE_DIST) -manifest $(RELEASE_DIST)/krew/netcheck.yaml
	$(GO) run ./hack/ociimage -dist $(RELEASE_DIST)

test-release: release-check release-snapshot ## the release checks: goreleaser check, a snapshot, then its tests
	NETCHECK_RELEASE_DIST=$(abspath $(RELEASE_DIST)) $(GO) test -count=1 -v ./deploy/ ./hack/krewcheck/ ./hack/ociimage/
