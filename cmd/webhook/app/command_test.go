package app

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/log/zap"
)

func TestCommandParsesFlags(t *testing.T) {
	var got *Options
	cmd := NewCommand(context.Background(), func(_ context.Context, o *Options) error { got = o; return nil })
	cmd.SetArgs([]string{"--cluster=prod-a", "--pool=batch", "--cert-dir=/certs", "--webhook-port=8443",
		"--metrics-bind-address=0", "--health-probe-bind-address=:9000", "--cert-rotation", "--cert-namespace=ops", "--zap-log-level=debug", "--policies=/etc/strata/policies", "--reservation-ttl=1m",
		"--client-ca-file=/etc/strata/client-ca/ca.crt", "--client-names=kube-apiserver,apiserver.example",
		"--tool-managed-namespace-labels=capsule.clastix.io/tenant,team", "--pod-security-config=/etc/kubernetes/admission.yaml",
		"--spark-operator-user=system:serviceaccount:spark-operator:spark-operator-controller"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.Cluster.Name != "prod-a" || got.Cluster.Pool != "batch" ||
		got.Cluster.SparkOperator != "system:serviceaccount:spark-operator:spark-operator-controller" || got.CertDir != "/certs" || got.WebhookPort != 8443 ||
		got.MetricsBindAddress != "0" || got.HealthProbeBindAddress != ":9000" || !got.CertRotation.Enabled || got.CertRotation.Namespace != "ops" ||
		got.PoliciesDir != "/etc/strata/policies" || got.ReservationTTL.Minutes() != 1 ||
		got.ClientCAFile != "/etc/strata/client-ca/ca.crt" || !slices.Equal(got.ClientNames, []string{"kube-apiserver", "apiserver.example"}) ||
		!slices.Equal(got.CertRotation.MutatingWebhooks, []string{"strata-mutating", "00-strata-sparkapplications"}) ||
		!slices.Equal(got.ToolManagedNamespaceLabels, []string{"capsule.clastix.io/tenant", "team"}) ||
		got.AdmissionConfigFile != "/etc/kubernetes/admission.yaml" {
		t.Errorf("options = %+v", got)
	}
	// --admission-config is the name --pod-security-config has now.
	cmd = NewCommand(context.Background(), func(_ context.Context, o *Options) error { got = o; return nil })
	cmd.SetArgs([]string{"--cluster=prod-a", "--pool=batch", "--admission-config=/etc/kubernetes/admission-v2.yaml"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.AdmissionConfigFile != "/etc/kubernetes/admission-v2.yaml" {
		t.Errorf("--admission-config: %q", got.AdmissionConfigFile)
	}
}

func TestCommandUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--pool=batch"}, "--cluster is required"},
		{[]string{"--cluster=a"}, "--pool is required"},
		{[]string{"--cluster=a", "--pool=b", "--webhook-port=0"}, "--webhook-port: 0 is not a port"},
		{[]string{"--cluster=a", "--pool=b", "--webhook-port=65536"}, "--webhook-port: 65536 is not a port"},
		{[]string{"--cluster=a", "--pool=b", "--max-in-flight=-1"}, "--max-in-flight: -1 must not be negative"},
		{[]string{"--cluster=a", "--pool=b", "--max-bytes-in-flight=-1"}, "--max-bytes-in-flight: -1 must not be negative"},
		{[]string{"--cluster=a", "--pool=b", "--max-bytes-in-flight=1048575"}, "--max-bytes-in-flight: 1048575 is less than 1048576 (1 MiB)"},
		{[]string{"--cluster=a", "--pool=b", "--cert-rotation", "--cert-secret="}, "--cert-secret must not be empty with --cert-rotation"},
		{[]string{"--cluster=a", "--pool=b", "--cert-rotation", "--cert-service=", "--cert-namespace=", "--validating-webhook-configuration="},
			"--cert-namespace must not be empty with --cert-rotation\n--cert-service must not be empty with --cert-rotation\n--validating-webhook-configuration must not be empty with --cert-rotation"},
		{[]string{"--cluster=a", "--pool=b", "--cert-rotation", "--mutating-webhook-configuration=a,,b"}, `--mutating-webhook-configuration must name configurations, none empty, with --cert-rotation (got ["a" "" "b"])`},
		{[]string{"--cluster=a", "--pool=b", "--cert-rotation", "--mutating-webhook-configuration="}, "--mutating-webhook-configuration must name configurations"},
		{[]string{"--clustr=a"}, "unknown flag: --clustr"},
		{[]string{"--cluster=a", "--pool=b", "--reservation-ttl=0s"}, "--reservation-ttl: 0s must be positive"},
		{[]string{"--cluster=a", "--pool=b", "--shadow-report-interval=0s"}, "--shadow-report-interval: 0s must be positive"},
		{[]string{"--cluster=a", "--pool=b", "--shadow-report-interval=-1m"}, "--shadow-report-interval: -1m0s must be positive"},
		{[]string{"--cluster=a", "--pool=b", "--client-names=kube-apiserver"}, "--client-names needs --client-ca-file"},
		{[]string{"--cluster=a", "--pool=b", "--client-ca-file=ca.crt", "--client-names=a,,b"}, "--client-names: a name must not be empty"},
		{[]string{"--cluster=a", "--pool=b", "--tool-managed-namespace-labels=capsule.clastix.io/tenant,not a key"},
			`--tool-managed-namespace-labels: "not a key" is not a label key`},
		{[]string{"--cluster=a", "--pool=b", "--spark-operator-user=system:serviceaccount:spark-operator"},
			`--spark-operator-user: "system:serviceaccount:spark-operator" is not a service account's user name (want system:serviceaccount:NAMESPACE:NAME)`},
		{[]string{"--cluster=a", "--pool=b", "--spark-operator-user= spark-operator"}, `--spark-operator-user: " spark-operator" is not a user name`},
		{[]string{"--cluster=a", "--pool=b", "extra"}, `unknown command "extra"`},
	}
	for _, tt := range tests {
		ran := false
		cmd := NewCommand(context.Background(), func(context.Context, *Options) error { ran = true; return nil })
		cmd.SetArgs(tt.args)
		err := cmd.Execute()
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: error %v, want %q", tt.args, err, tt.want)
			continue
		}
		if ExitCodeOf(err) != ExitUsage && !strings.Contains(tt.want, "unknown command") {
			t.Errorf("%v: exit %d, want %d", tt.args, ExitCodeOf(err), ExitUsage)
		}
		if ran {
			t.Errorf("%v: run called despite a usage error", tt.args)
		}
	}
}

func TestExitCodeOfRuntimeError(t *testing.T) {
	cmd := NewCommand(context.Background(), func(context.Context, *Options) error { return errors.New("apiserver gone") })
	cmd.SetArgs([]string{"--cluster=a", "--pool=b"})
	if err := cmd.Execute(); ExitCodeOf(err) != ExitRuntime {
		t.Fatalf("exit %d for %v, want %d", ExitCodeOf(err), err, ExitRuntime)
	}
	if ExitCodeOf(nil) != ExitOK {
		t.Fatal("nil error is not ExitOK")
	}
}

// TestCommandTakesTheEdges: the highest port, no in-flight limits, and the
// least byte limit are valid.
func TestCommandTakesTheEdges(t *testing.T) {
	var got *Options
	cmd := NewCommand(context.Background(), func(_ context.Context, o *Options) error { got = o; return nil })
	cmd.SetArgs([]string{"--cluster=a", "--pool=b", "--webhook-port=65535", "--max-in-flight=0", "--max-bytes-in-flight=0"})
	if err := cmd.Execute(); err != nil || got.WebhookPort != 65535 || got.MaxInFlight != 0 || got.MaxBytesInFlight != 0 {
		t.Fatalf("%v, options %+v", err, got)
	}
	cmd = NewCommand(context.Background(), func(_ context.Context, o *Options) error { got = o; return nil })
	cmd.SetArgs([]string{"--cluster=a", "--pool=b", "--max-bytes-in-flight=1048576"})
	if err := cmd.Execute(); err != nil || got.MaxBytesInFlight != 1<<20 {
		t.Fatalf("%v, options %+v", err, got)
	}
}

// TestErrorsLogNoStackTrace: an error's log line carries no stack trace
// by default (what is logged at error is the cluster's, not the code's);
// --zap-stacktrace-level=error puts them back.
func TestErrorsLogNoStackTrace(t *testing.T) {
	for args, want := range map[string]bool{"": false, "--zap-stacktrace-level=error": true} {
		var got *Options
		cmd := NewCommand(context.Background(), func(_ context.Context, o *Options) error { got = o; return nil })
		flags := []string{"--cluster=a", "--pool=b"}
		if args != "" {
			flags = append(flags, args)
		}
		cmd.SetArgs(flags)
		if err := cmd.Execute(); err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		zap.New(zap.UseFlagOptions(&got.Zap), zap.WriteTo(&out)).Error(errors.New("unable to load in-cluster config"), "failed")
		if stack := strings.Contains(out.String(), `"stacktrace"`); stack != want {
			t.Errorf("%q: stack trace %v, want %v:\n%s", args, stack, want, out.String())
		}
	}
}
