package quantity

import (
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// TestParseTakesWhatKubernetesTakes: every quantity a resource is written
// in parses as resource.ParseQuantity parses it, and so is every error.
func TestParseTakesWhatKubernetesTakes(t *testing.T) {
	for _, s := range []string{
		"0", "1", "100m", "1.5", "0.5", ".5", "+2", "-3", "250n", "2Ki", "512Mi", "4Gi", "5E", "2Ei", "3P",
		"1e3", "1E3", "1e+3", "1e-3", "2.5e-2", "1e99", "1e-99", "-1e99", "1e64", "0e0",
		strings.Repeat("9", MaxLength),
		// Not quantities: Parse gives ParseQuantity's error.
		"", "abc", "1e", "1e1.5", "1ee3", "e3", "1 m", "1Ki2", "--1",
	} {
		got, err := Parse(s)
		want, wantErr := resource.ParseQuantity(s)
		if (err == nil) != (wantErr == nil) || err != nil && err.Error() != wantErr.Error() {
			t.Errorf("Parse(%q): error %v, want %v", s, err, wantErr)
			continue
		}
		if err == nil && (got.Cmp(want) != 0 || got.String() != want.String()) {
			t.Errorf("Parse(%q) = %s, want %s", s, &got, &want)
		}
	}
}

// TestParseRefusesWhatRunsAway: an exponent beyond ±MaxExponent, or a
// string longer than MaxLength, is an error, at once.
func TestParseRefusesWhatRunsAway(t *testing.T) {
	for _, s := range []string{
		"1e-999999999", "1.5e999999999", "3e4444108875695", "1e-2147483648", "1e100", "1e-100", "1E+100",
		"1e99999999999999999999", "-1e999999999", strings.Repeat("9", MaxLength+1), "0." + strings.Repeat("0", 100) + "1",
	} {
		done := make(chan error)
		go func() {
			_, err := Parse(s)
			done <- err
		}()
		select {
		case err := <-done:
			if err == nil {
				t.Errorf("Parse(%q) took it, want an error", s)
			}
		case <-time.After(time.Minute):
			t.Fatalf("Parse(%q) still parsing after a minute", s)
		}
	}
}

// TestBounded holds Bounded to the magnitude of the quantity, whatever its
// exponent.
func TestBounded(t *testing.T) {
	for s, want := range map[string]bool{
		"0": true, "1": true, "-1": true, "100m": true, "1n": true, "512Pi": true, "1e18": true, "-1e18": true, "999999999999999999": true,
		"1000000000000000001": false, "1.1e18": false, "2e18": false, "8Ei": false, "-2e18": false,
		"1.5e999999999": false, "-1.5e999999999": false, "123456789012345678901234567890": false,
	} {
		q := resource.MustParse(s)
		if got := Bounded(&q); got != want {
			t.Errorf("Bounded(%s) = %v, want %v", s, got, want)
		}
	}
}

// TestClamp: a list in bounds is returned as it is; one out of bounds is
// copied with those quantities at the limit of their sign, which sum and
// compare at once.
func TestClamp(t *testing.T) {
	in := corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2"), corev1.ResourceMemory: resource.MustParse("4Gi")}
	if out, clamped := Clamp(in); clamped || len(out) != 2 || out[corev1.ResourceCPU] != in[corev1.ResourceCPU] {
		t.Errorf("Clamp(%v) = %v, %v; want it unchanged", in, out, clamped)
	}
	huge := corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse("1.5e999999999"),
		corev1.ResourceMemory: resource.MustParse("-1.5e999999999"),
		"example.com/gpu":     resource.MustParse("1"),
	}
	out, clamped := Clamp(huge)
	if !clamped {
		t.Fatal("Clamp did not clamp 1.5e999999999")
	}
	if q := huge[corev1.ResourceCPU]; q.String() != "1500e999999996" {
		t.Errorf("Clamp changed its argument: cpu %s", &q)
	}
	for name, want := range map[corev1.ResourceName]string{corev1.ResourceCPU: "1e18", corev1.ResourceMemory: "-1e18", "example.com/gpu": "1"} {
		got := out[name]
		if w := resource.MustParse(want); got.Cmp(w) != 0 {
			t.Errorf("clamped %s = %s, want %s", name, &got, want)
		}
	}
	sum := out[corev1.ResourceCPU]
	sum.Add(resource.MustParse("100m"))
	if sum.Cmp(resource.MustParse("1e18")) <= 0 {
		t.Errorf("1e18 + 100m = %s", &sum)
	}
}

// FuzzParse: whatever the string, what Parse takes is in quantity's
// reach: clamped, it adds to and compares with an ordinary quantity, and
// reads as milli-units, without running away (a hung input stalls the
// fuzzer, which reports it).
func FuzzParse(f *testing.F) {
	for _, s := range []string{"100m", "1.5e3", "4Gi", "1e-64", "5E", "-2Ki", "0.000000001"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := Parse(s)
		if err != nil {
			return
		}
		list, _ := Clamp(corev1.ResourceList{corev1.ResourceCPU: q})
		sum := list[corev1.ResourceCPU]
		sum.Add(resource.MustParse("100m"))
		_ = sum.Cmp(*resource.NewMilliQuantity(1<<40, resource.DecimalSI))
		_ = sum.MilliValue()
		if !Bounded(&q) && q.Sign() == 0 {
			t.Errorf("zero %q out of bounds", s)
		}
	})
}

// TestRefusalQuotesAtMost80Characters: the message quotes a refused
// quantity whole up to 80 characters, and cut with "..." past that.
func TestRefusalQuotesAtMost80Characters(t *testing.T) {
	for _, c := range []struct{ in, quoted string }{
		{strings.Repeat("9", 80), strings.Repeat("9", 80)},
		{strings.Repeat("9", 81), strings.Repeat("9", 80) + "..."},
	} {
		if _, err := Parse(c.in); err == nil || !strings.Contains(err.Error(), `quantity "`+c.quoted+`":`) {
			t.Errorf("Parse of %d characters: %v, want it quoted as %q", len(c.in), err, c.quoted)
		}
	}
}
