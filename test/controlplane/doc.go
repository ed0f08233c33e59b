// Package controlplane starts a real kube-apiserver and etcd (controller-
// runtime's envtest) with Strata's CRD and webhook configurations, both taken
// from manifests/ (the configurations from a kustomize build of
// manifests/default, not a hand-written copy), and runs the webhook
// in-process against it, over TLS, exactly as a cluster calls it.
//
// The control-plane binaries come from KUBEBUILDER_ASSETS, or are built from
// source by hack/tools/envtest/build.sh on first use and cached in
// bin/k8s/<version>.
package controlplane
