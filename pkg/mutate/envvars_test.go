package mutate

import (
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/strata-dev/strata/pkg/mutate/sparkv1beta2"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
	"github.com/strata-dev/strata/test/fixtures"
)

// TestEnvVarsAreTheSparkContainersEnv: a section's envVars (the
// operator's deprecated spelling, passed as spark.kubernetes.driverEnv.*
// and spark.executorEnv.* after sparkConf) are the user's variables of
// the Spark container, as its env and those keys are: a layer's override
// wins over them and the composed app states the variables once, in env;
// a default loses to them; the pods the app launches carry them, and the
// effective configuration has them as the keys they are passed as.
func TestEnvVarsAreTheSparkContainersEnv(t *testing.T) {
	app := func(t *testing.T, edit func(*sparkv1beta2.Spec)) *sparkv1beta2.Object {
		t.Helper()
		a := fixtures.App(t, "etl-report.yaml").App.DeepCopy()
		edit(&a.Spec)
		obj, err := sparkv1beta2.FromApp(a)
		if err != nil {
			t.Fatal(err)
		}
		return obj
	}
	envOf := func(t *testing.T, res *AppResult, role v1alpha1.Role) map[string]string {
		t.Helper()
		pod, err := LaunchedPod(&res.App.App, role)
		if err != nil {
			t.Fatal(err)
		}
		// The variable the container runs with: the last of its name.
		out := map[string]string{}
		for _, e := range pod.Spec.Containers[sparkContainer(pod, role)].Env {
			out[e.Name] = e.Value
		}
		return out
	}
	for _, tc := range []struct {
		name   string
		layer  string
		edit   func(*sparkv1beta2.Spec)
		role   v1alpha1.Role
		want   map[string]string // the launched pod's variables
		conf   map[string]string // the effective configuration's keys
		inEnv  bool              // the composed app states them in env, envVars gone
		warned string
	}{{
		name:  "an override wins over the user's envVars",
		layer: `{tier: ClusterOverrides, driver: {env: [{name: LOG_LEVEL, value: info}]}}`,
		edit: func(s *sparkv1beta2.Spec) {
			s.Driver.EnvVars = map[string]string{"LOG_LEVEL": "debug", "TEAM": "reports"}
		},
		role:   v1alpha1.RoleDriver,
		want:   map[string]string{"LOG_LEVEL": "info", "TEAM": "reports"},
		inEnv:  true,
		warned: `driver: spec.driver.env[LOG_LEVEL] "debug" overridden by ClusterOverrides layer "env"`,
	}, {
		name:  "a default loses to them, on executors",
		layer: `{tier: ClusterDefaults, executor: {env: [{name: LOG_LEVEL, value: info}]}}`,
		edit: func(s *sparkv1beta2.Spec) {
			s.Executor.EnvVars = map[string]string{"LOG_LEVEL": "debug"}
		},
		role: v1alpha1.RoleExecutor,
		want: map[string]string{"LOG_LEVEL": "debug"},
		conf: map[string]string{"spark.executorEnv.LOG_LEVEL": "debug"},
	}, {
		name:  "they win over sparkConf's keys, and env over them",
		layer: `{tier: ClusterDefaults, driver: {labels: {unrelated: "1"}}}`,
		edit: func(s *sparkv1beta2.Spec) {
			s.SparkConf = map[string]string{"spark.kubernetes.driverEnv.A": "conf", "spark.kubernetes.driverEnv.B": "conf"}
			s.Driver.EnvVars = map[string]string{"A": "envVars", "B": "envVars"}
			s.Driver.Env = append(s.Driver.Env, corev1.EnvVar{Name: "B", Value: "env"})
		},
		role: v1alpha1.RoleDriver,
		want: map[string]string{"A": "envVars", "B": "env"},
		conf: map[string]string{"spark.kubernetes.driverEnv.A": "envVars", "spark.kubernetes.driverEnv.B": "envVars"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			snap := fixtures.SnapshotOf(t, map[string]string{"env": tc.layer})
			res, err := ComposeApp(snap, prodA, app(t, tc.edit))
			if err != nil {
				t.Fatal(err)
			}
			got := envOf(t, res, tc.role)
			for name, v := range tc.want {
				if got[name] != v {
					t.Errorf("the launched %s runs with %s=%q, want %q (all: %v)", tc.role, name, got[name], v, got)
				}
			}
			for k, v := range tc.conf {
				if res.Conf[k] != v {
					t.Errorf("effective %s = %q, want %q", k, res.Conf[k], v)
				}
			}
			sec := res.App.App.Spec.Pod(string(tc.role))
			if tc.inEnv {
				if sec.EnvVars != nil {
					t.Errorf("envVars still %v beside env %v: the variables are not stated once", sec.EnvVars, sec.Env)
				}
				for name, v := range tc.want {
					if !slices.Contains(sec.Env, corev1.EnvVar{Name: name, Value: v}) {
						t.Errorf("env %v lacks %s=%s", sec.Env, name, v)
					}
				}
			}
			if tc.warned != "" && !slices.Contains(res.Warnings, tc.warned) {
				t.Errorf("warnings %q lack %q", res.Warnings, tc.warned)
			}
			again, err := ComposeApp(snap, prodA, res.App)
			if err != nil {
				t.Fatal(err)
			}
			if len(again.Patch) != 0 {
				t.Errorf("composing the composed app patched it: %v", again.Patch)
			}
			for _, w := range again.Warnings {
				if strings.Contains(w, ".env") {
					t.Errorf("composing the composed app warned: %q", w)
				}
			}
		})
	}
}
