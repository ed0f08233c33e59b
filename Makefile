# Strata. `make demo` runs the composer on the bundled example; `make test`
# runs every test, building the control-plane binaries for the end-to-end
# tests the first time.

GO            ?= go
K8S_ASSETS    := $(shell hack/tools/envtest/assets-dir.sh)
# A user with setup-envtest can point KUBEBUILDER_ASSETS elsewhere.
KUBEBUILDER_ASSETS ?= $(K8S_ASSETS)
export KUBEBUILDER_ASSETS

LAYERS  ?= examples/layers/clusters/prod-a
CLUSTER ?= prod-a
POOL    ?= batch

.PHONY: all help build image-binary demo test unit race lint generate verify-generate envtest fmt vet fuzz bench load

# golangci-lint, pinned in its own tools module (hack/tools/lint) and built
# from the Go module proxy into bin/.
GOLANGCI_LINT := bin/golangci-lint

all: build

help: ## List the targets.
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  %-16s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

build: ## Build the binaries into bin/.
	$(GO) build -trimpath -o bin/composer ./cmd/composer
	$(GO) build -trimpath -o bin/webhook ./cmd/webhook

image-binary: ## Build the static linux binary the webhook image ships (see Dockerfile).
	CGO_ENABLED=0 GOOS=linux $(GO) build -trimpath -ldflags "-s -w" -o bin/linux/webhook ./cmd/webhook

demo: ## Dry-run the example driver with the composer, then run it and a SparkApplication through a real API server and the webhook.
	@echo "== composer: what the webhook will do to the example driver (dry run, no cluster)"
	$(GO) run ./cmd/composer compose -f examples/pods/driver.yaml \
		--layers $(LAYERS) --cluster $(CLUSTER) --pool $(POOL) -o explain
	@echo
	@echo "== composer --validate: the policies deny an oversized driver (exit status 1)"
	-$(GO) run ./cmd/composer compose -f examples/pods/oversized-driver.yaml \
		--layers $(LAYERS) --cluster $(CLUSTER) --pool $(POOL) --validate -o patch >/dev/null
	@echo
	@echo "== the same through a real kube-apiserver with the webhook"
	@echo "   (the first run builds kube-apiserver, etcd and kubectl from source: a few minutes, progress below)"
	@$(MAKE) --no-print-directory envtest
	KUBEBUILDER_ASSETS="$(KUBEBUILDER_ASSETS)" $(GO) run ./test/demo

test: verify-generate vet lint race envtest ## Run every test (unit, golden, Rego, end-to-end), each benchmark once, and the race detector on the concurrent code.
	$(GO) test -count=1 ./...
	$(GO) test -run '^$$' -bench . -benchtime 1x ./...

# The packages with concurrency: the ledger and tracker (pkg/policy), the
# snapshot and policy stores and the handlers (cmd/webhook/app), a
# snapshot's compositions read at once (pkg/overlay), the composer's
# compose and diff, which compose a corpus's objects in parallel, and the
# end-to-end suite, whose webhook runs in the test's process: informers,
# Layer changes and admissions through a real API server, concurrently.
race: envtest ## Run the tests of the concurrent packages and the end-to-end suite under the race detector.
	$(GO) test -race -count=1 ./pkg/policy/ ./cmd/webhook/app/ ./pkg/overlay/
	$(GO) test -race -count=1 -run 'InOrder|Diff|InParallel' ./cmd/composer/app/
	KUBEBUILDER_ASSETS="$(KUBEBUILDER_ASSETS)" $(GO) test -race -count=1 ./test/e2e/

lint: $(GOLANGCI_LINT) ## Run golangci-lint with .golangci.yml.
	$(GOLANGCI_LINT) run ./...

$(GOLANGCI_LINT): hack/tools/lint/go.mod hack/tools/lint/go.sum
	cd hack/tools/lint && $(GO) build -o ../../../$(GOLANGCI_LINT) github.com/golangci/golangci-lint/v2/cmd/golangci-lint

unit: ## Run the tests that need no control plane.
	$(GO) test -count=1 $$($(GO) list ./... | grep -v /test/)

generate: ## Regenerate deepcopy code and the CRD from the Go types.
	$(GO) tool controller-gen object paths=./pkg/overlay/v1alpha1/...
	$(GO) tool controller-gen object paths=./pkg/mutate/sparkv1beta2/...
	$(GO) tool controller-gen crd paths=./pkg/overlay/v1alpha1/... output:crd:artifacts:config=manifests/crd
	$(GO) run ./hack/crd-items manifests/crd/strata.dev_layers.yaml

verify-generate: ## Fail when generated files are stale.
	hack/verify-generate.sh

envtest: ## Build kube-apiserver, etcd and kubectl once, into bin/k8s/<version>.
	@if [ "$(KUBEBUILDER_ASSETS)" = "$(K8S_ASSETS)" ]; then hack/tools/envtest/build.sh >/dev/null; fi

vet: ## go vet every package.
	$(GO) vet ./...

fmt: ## gofmt every Go file.
	gofmt -w $$(git ls-files '*.go')

fuzz: ## Run each fuzz test for FUZZTIME (default 30s).
	hack/fuzz.sh $(or $(FUZZTIME),30s)

bench: envtest ## Run the benchmarks six times each and the load tool, and write the results into BENCHMARKS.md.
	@mkdir -p bin
	$(GO) test -run '^$$' -bench . -benchmem -count 6 ./pkg/... ./cmd/... > bin/bench.txt || (cat bin/bench.txt; exit 1)
	$(GO) run ./test/load --rounds 3 --requests 2000 --json bin/load.json
	$(GO) run ./test/benchreport --bench bin/bench.txt --load bin/load.json --out BENCHMARKS.md

load: envtest ## Load the webhook over HTTPS against its no-op floor (LOAD_ARGS, e.g. --rate 500 --duration 10s).
	$(GO) run ./test/load $(LOAD_ARGS)
