// Command demo shows Strata end to end on this machine: it starts a real
// kube-apiserver and etcd with the webhook registered over TLS, applies the
// example layer repository with `kubectl apply -k`, creates the example
// Spark driver and executor with `kubectl create` exactly as a user would,
// and prints the pods as the API server stored them, with the warnings the
// user sees; then composes the example SparkApplication offline (the
// composer's dry run: its effective Spark configuration) and submits it
// through the API server, which stores it composed. It cleans up after
// itself.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"

	"sigs.k8s.io/kustomize/kyaml/filesys"

	composer "github.com/strata-dev/strata/cmd/composer/app"
	"github.com/strata-dev/strata/pkg/mutate"
	"github.com/strata-dev/strata/pkg/overlay/manifest"
	"github.com/strata-dev/strata/test/controlplane"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		_, _ = fmt.Fprintf(os.Stderr, "demo: %v\n", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, out, progress io.Writer) error {
	root := controlplane.RepoRoot()
	cluster := mutate.Cluster{Name: "prod-a", Pool: "batch"}
	_, _ = fmt.Fprintf(progress, "== starting a local control plane with the Strata webhook (cluster %s, pool %s)\n", cluster.Name, cluster.Pool)
	_, _ = fmt.Fprintln(progress, "   the first run builds kube-apiserver, etcd and kubectl from source: a few minutes")
	cp, err := controlplane.Start(ctx, controlplane.Options{Cluster: cluster, Progress: progress})
	if err != nil {
		return err
	}
	defer func() {
		_, _ = fmt.Fprintln(progress, "== stopping the control plane")
		if err := cp.Stop(); err != nil {
			_, _ = fmt.Fprintf(progress, "demo: stopping: %v\n", err)
		}
	}()
	dir, err := os.MkdirTemp("", "strata-demo-")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(dir) }()
	kubeconfig := filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(kubeconfig, cp.KubeConfig(), 0o600); err != nil {
		return err
	}
	run := func(args ...string) error {
		_, _ = fmt.Fprintf(out, "\n$ kubectl %s\n", joinArgs(args))
		cmd := exec.CommandContext(ctx, cp.Kubectl(), append([]string{"--kubeconfig", kubeconfig}, args...)...)
		cmd.Dir, cmd.Stdout, cmd.Stderr = root, out, out
		return cmd.Run()
	}
	kubectl := func(args ...string) error {
		if err := run(args...); err != nil {
			return fmt.Errorf("kubectl %s: %w", joinArgs(args), err)
		}
		return nil
	}
	steps := [][]string{
		{"apply", "-k", "examples/layers/clusters/prod-a"},
		{"get", "layers"},
	}
	for _, s := range steps {
		if err := kubectl(s...); err != nil {
			return err
		}
	}
	// The webhook picks the layers up from its informers; wait until it serves them.
	in, err := manifest.LoadRepo(filesys.MakeFsOnDisk(), filepath.Join(root, "examples/layers/clusters/prod-a"))
	if err != nil {
		return err
	}
	if err := waitForLayers(ctx, cp, len(in.Layers)); err != nil {
		return err
	}
	for _, s := range [][]string{
		{"create", "-f", "examples/pods/driver.yaml"},
		{"create", "-f", "examples/pods/executor.yaml"},
		{"get", "pod", "-n", "etl", "spark-pi-4f2a1c8e0d7b9a61-driver", "-o", "yaml"},
		{"get", "pod", "-n", "etl", "spark-pi-4f2a1c8e0d7b9a61-exec-1", "-o", "yaml"},
	} {
		if err := kubectl(s...); err != nil {
			return err
		}
	}
	// A driver asking for more than etl's quota: the policy webhook denies it.
	_, _ = fmt.Fprintln(out, "\n# A driver asking for 64 CPU where etl allows 16 per pod is denied:")
	if err := run("create", "-f", "examples/pods/oversized-driver.yaml"); err == nil {
		return fmt.Errorf("the oversized driver was admitted; the quota policy should have denied it")
	}
	// A SparkApplication: the dry run, then through the API server.
	_, _ = fmt.Fprintln(out, "\n# The example SparkApplication, composed offline: the Spark configuration spark-submit will run with")
	composerArgs := []string{"compose", "-f", "examples/apps/etl-report.yaml", "--layers", "examples/layers/clusters/prod-a",
		"--cluster", cluster.Name, "--pool", cluster.Pool, "-o", "spark-conf", "--validate"}
	_, _ = fmt.Fprintf(out, "\n$ composer %s\n", joinArgs(composerArgs))
	wd, err := os.Getwd()
	if err != nil {
		return err
	}
	if err := os.Chdir(root); err != nil {
		return err
	}
	code := composer.Run(ctx, composerArgs, composer.Streams{In: os.Stdin, Out: out, Err: out})
	if err := os.Chdir(wd); err != nil {
		return err
	}
	if code != composer.ExitOK {
		return fmt.Errorf("composer compose of the example SparkApplication exited %d", code)
	}
	for _, s := range [][]string{
		{"create", "-f", "examples/apps/etl-report.yaml"},
		{"get", "sparkapplication", "-n", "etl", "etl-report", "-o", "yaml"},
	} {
		if err := kubectl(s...); err != nil {
			return err
		}
	}
	_, _ = fmt.Fprintln(out, "\n# An app of 30 executors, where etl allows 20 per app, is refused at submission:")
	if err := run("create", "-f", "examples/tests/apps/etl-report-30-executors.yaml"); err == nil {
		return fmt.Errorf("the 30-executor app was admitted; the quota policy should have refused it")
	}
	_, _ = fmt.Fprintln(out, "\n# A nightly schedule of it is stored as written; one whose every run would need 30 executors is refused when written:")
	if err := kubectl("create", "-f", "examples/apps/etl-report-nightly.yaml"); err != nil {
		return err
	}
	if err := run("create", "-f", "examples/tests/apps/etl-report-nightly-30-executors.yaml"); err == nil {
		return fmt.Errorf("the schedule of 30-executor runs was admitted; the quota policy should have refused it")
	}
	_, _ = fmt.Fprintln(out, "\n# Each submission runs spark-submit in the operator every tenant shares: a schedule every ten seconds is refused:")
	if err := run("create", "-f", "examples/tests/apps/etl-report-every-10s.yaml"); err == nil {
		return fmt.Errorf("the schedule every ten seconds was admitted; the quota policy should have refused it")
	}
	// A SparkConnect: its Spark configuration is composed as an app's.
	_, _ = fmt.Fprintln(out, "\n# A Spark Connect server for etl's notebooks gets the platform's Spark configuration too:")
	for _, s := range [][]string{
		{"create", "-f", "examples/apps/notebooks-connect.yaml"},
		{"get", "sparkconnect", "-n", "etl", "etl-notebooks", "-o", "jsonpath={.spec.sparkConf}"},
	} {
		if err := kubectl(s...); err != nil {
			return err
		}
	}
	_, _ = fmt.Fprintln(out)
	// A pod without spark-role gets no way around the rules.
	_, _ = fmt.Fprintln(out, "\n# A tenant's own pod without spark-role is judged too: privileged, from outside the mirror, with geo's IAM role, requesting nothing:")
	if err := run("create", "-f", "examples/pods/tenant-debug-pod.yaml"); err == nil {
		return fmt.Errorf("the tenant's debug pod was admitted; the isolation policy should have denied it")
	}
	return nil
}

func joinArgs(args []string) string {
	s := ""
	for i, a := range args {
		if i > 0 {
			s += " "
		}
		s += a
	}
	return s
}
