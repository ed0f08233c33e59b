package policy

import (
	"strings"
	"testing"
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
	} {
		got, ok := expandEnv(tt.in, vars)
		if got != tt.want || ok != tt.ok {
			t.Errorf("expandEnv(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

// FuzzExpandEnv: a value whose every $ is escaped expands to itself,
// whatever it holds, and expanding never panics.
func FuzzExpandEnv(f *testing.F) {
	for _, seed := range []string{"", "$", "$(A)", "$$(A", "arn:aws:iam::1:role/x-$(REST)", "$(", "é$"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, value string) {
		_, _ = expandEnv(value, map[string]string{"A": "$(A)"})
		escaped := strings.ReplaceAll(value, "$", "$$")
		if got, ok := expandEnv(escaped, nil); !ok || got != value {
			t.Errorf("expandEnv(%q) = %q, %v; want %q", escaped, got, ok, value)
		}
	})
}
