package policy

import (
	"strconv"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// TestExpandEnv: variable references expand as the kubelet expands them
// (the cases of k8s.io/kubernetes's third_party/forked/golang/expansion
// tests that hold with the variables known), and a reference to a variable
// not known is reported.
func TestExpandEnv(t *testing.T) {
	vars := map[string]string{"VAR_A": "A", "VAR_B": "B", "VAR_EMPTY": "", "VAR_REF": "$(VAR_A)"}
	for _, tt := range []struct {
		in, want string
		ok       bool
	}{
		{"", "", true},
		{"plain", "plain", true},
		{"$(VAR_A)", "A", true},
		{"___$(VAR_B)___", "___B___", true},
		{"$(VAR_A)-$(VAR_B)", "A-B", true},
		{"$(VAR_EMPTY)x", "x", true},
		{"$(VAR_REF)", "$(VAR_A)", true}, // a value is expanded once
		{"$$(VAR_A)", "$(VAR_A)", true},
		{"$$$(VAR_A)", "$A", true},
		{"$$$$(VAR_A)", "$$(VAR_A)", true},
		{"$$", "$", true},
		{"$", "$", true},
		{"x$", "x$", true},
		{"$x", "$x", true},
		{"$(", "$(", true},
		{"$(VAR_A", "$(VAR_A", true},
		{"$(VAR_A$(VAR_B)", "", false}, // the name "VAR_A$(VAR_B" is no variable
		{"$(VAR_A)$(", "A$(", true},
		{"$(UNKNOWN)", "", false},
		{"ok-$(VAR_A)-$(UNKNOWN)", "", false},
		{"$()", "", false},
		{"é$(VAR_A)ü", "éAü", true},
		{strings.Repeat("$(VAR_A)", 64), strings.Repeat("A", 64), true},
		{strings.Repeat("$(VAR_A)", 65), "", false}, // past the limit
		{strings.Repeat("x", 63) + "$$", strings.Repeat("x", 63) + "$", true},
		{strings.Repeat("x", 64) + "$$", "", false},
	} {
		got, ok := expandEnv(tt.in, vars, 64)
		if got != tt.want || ok != tt.ok {
			t.Errorf("expandEnv(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

// FuzzExpandEnv: a value whose every $ is escaped expands to itself,
// whatever it holds; no expansion is longer than the limit.
func FuzzExpandEnv(f *testing.F) {
	for _, seed := range []string{"", "$", "$(A)", "$$(A", "arn:aws:iam::1:role/x-$(REST)", "$(", "é$"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, value string) {
		if got, ok := expandEnv(value, map[string]string{"A": "$(A)"}, 16); ok && len(got) > 16 && strings.Contains(value, "$") {
			t.Errorf("expandEnv(%q) = %q, longer than the limit", value, got)
		}
		escaped := strings.ReplaceAll(value, "$", "$$")
		if got, ok := expandEnv(escaped, nil, len(value)); !ok || got != value {
			t.Errorf("expandEnv(%q) = %q, %v; want %q", escaped, got, ok, value)
		}
	})
}

// BenchmarkEnvRoles: a container of 20,000 variables, every other one an
// AWS_ROLE_ARN built from the variable before it, is read in one pass
// (linear in its variables, not in their square).
func BenchmarkEnvRoles(b *testing.B) {
	var env []corev1.EnvVar
	for i := range 10000 {
		part := "p" + strconv.Itoa(i)
		env = append(env, corev1.EnvVar{Name: part, Value: "etl-" + part},
			corev1.EnvVar{Name: awsRoleEnv, Value: "arn:aws:iam::111111111111:role/$(" + part + ")"})
	}
	pod := &corev1.Pod{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "spark", Env: env}}}}
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		forEachEnvRole(pod, func(_, role string) {
			if strings.HasPrefix(role, "arn:aws:iam::111111111111:role/etl-p") {
				n++
			}
		})
		if n != 10000 {
			b.Fatalf("%d roles read, want 10000", n)
		}
	}
}
