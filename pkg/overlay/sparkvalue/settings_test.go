package sparkvalue

import (
	"errors"
	"strings"
	"testing"
)

func TestSettingsAreKnownOnce(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range Settings() {
		for _, k := range append([]string{s.Key}, s.Alternates...) {
			if seen[k] {
				t.Errorf("%s is listed twice", k)
			}
			seen[k] = true
			if got, ok := KindOf(k); !ok || got != s.Kind {
				t.Errorf("KindOf(%s) = %v, %v; want %v", k, got, ok, s.Kind)
			}
			if s.Kind.want() == "" || strings.HasPrefix(s.Kind.want(), "kind ") {
				t.Errorf("%s: kind %d has no description", k, s.Kind)
			}
		}
	}
	if _, ok := KindOf("spark.app.name"); ok {
		t.Error("spark.app.name is not read")
	}
}

func TestProblem(t *testing.T) {
	for _, tc := range []struct{ key, value, want string }{
		{"spark.executor.instances", "4", ""},
		{"spark.executor.instances", "four", "must be a whole number, at least 0"},
		{"spark.dynamicAllocation.enabled", "TRUE", ""},
		{"spark.dynamicAllocation.enabled", "1", "must be true or false"},
		{"spark.yarn.driver.memoryOverhead", "2g", ""},
		{"spark.yarn.driver.memoryOverhead", "2 g", "must be a Spark memory size"},
		{"spark.unsafe.offHeap", "yes", "must be true or false"},
		{"spark.memory.offHeap.size", "1073741824", ""},
		{"spark.kubernetes.driver.limit.cores", "1e-999999999", "must be a CPU quantity"},
		{"spark.kubernetes.memoryOverheadFactor", "NaN", "must be a decimal number"},
		{"spark.app.name", "anything at all", ""},
	} {
		got := Problem(tc.key, tc.value)
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("Problem(%s, %q) = %q, want %q", tc.key, tc.value, got, tc.want)
		}
	}
}

func TestConf(t *testing.T) {
	c := Conf{
		"spark.yarn.executor.memoryOverhead": "2g",
		"spark.unsafe.offHeap":               "TRUE",
		"spark.memory.offHeap.enabled":       "false",
		"spark.memory.offHeap.size":          "1024",
		"spark.executor.instances":           "x",
		"spark.yarn.driver.memoryOverhead":   "1g",
		"spark.driver.memoryOverhead":        "3g",
	}
	if n, ok, err := c.Size("spark.executor.memoryOverhead"); err != nil || !ok || n != 2<<30 {
		t.Errorf("the alternate: %d, %v, %v; want 2 GiB", n, ok, err)
	}
	if n, ok, err := c.Size("spark.driver.memoryOverhead"); err != nil || !ok || n != 3<<30 {
		t.Errorf("the setting over its alternate: %d, %v, %v; want 3 GiB", n, ok, err)
	}
	if on, ok, err := c.Switch("spark.memory.offHeap.enabled"); err != nil || !ok || on {
		t.Errorf("the setting over its alternate: %v, %v, %v; want off", on, ok, err)
	}
	if n, ok, err := c.Size("spark.memory.offHeap.size"); err != nil || !ok || n != 1024 {
		t.Errorf("a size in bytes: %d, %v, %v; want 1024", n, ok, err)
	}
	if _, ok, err := c.Size("spark.executor.memory"); err != nil || ok {
		t.Errorf("unset: %v, %v", ok, err)
	}
	_, _, err := c.Count("spark.executor.instances")
	var e *Error
	if !errors.As(err, &e) || e.Key != "spark.executor.instances" || err.Error() != `spark.executor.instances: "x" is not a whole number, at least 0` {
		t.Errorf("a count Spark refuses: %v", err)
	}
	// A setting read as a kind the table does not give it is an error,
	// set or not: the table and its readers cannot drift apart.
	for _, read := range []func() error{
		func() error { _, _, err := c.Count("spark.executor.memory"); return err },
		func() error { _, _, err := c.Switch("spark.executor.instances"); return err },
		func() error { _, _, err := c.Size("spark.app.name"); return err },
		func() error { _, _, err := c.Factor("spark.executor.cores"); return err },
		func() error { _, _, err := c.CPU("spark.executor.cores"); return err },
	} {
		if err := read(); err == nil || !strings.Contains(err.Error(), "is not a setting of kind") {
			t.Errorf("a setting read as the wrong kind: %v", err)
		}
	}
}
