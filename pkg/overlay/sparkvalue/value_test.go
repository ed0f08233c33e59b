package sparkvalue

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

func TestTrim(t *testing.T) {
	for in, want := range map[string]string{
		" 4 ":               "4",
		"\x00\x01\t4\n\x1f": "4",
		"4\u00a0":           "4\u00a0", // Java's trim stops at the space
		"\u00854":           "\u00854",
		"\u20034":           "\u20034",
		"":                  "",
		"  ":                "",
	} {
		if got := Trim(in); got != want {
			t.Errorf("Trim(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseSwitch(t *testing.T) {
	for in, want := range map[string]any{
		"true": true, "TRUE": true, "True": true, "tRuE": true, " true\t": true, "\x01true\x1f": true,
		"false": false, "FALSE": false, " False ": false, "falſe": false,
		"1": nil, "0": nil, "t": nil, "yes": nil, "on": nil, "": nil, "true\u00a0": nil, "\u00a0true": nil, "truе": nil, // Cyrillic е
		"true false": nil,
	} {
		got, err := ParseSwitch(in)
		if want == nil {
			if err == nil {
				t.Errorf("ParseSwitch(%q) = %v, want an error", in, got)
			}
			continue
		}
		if err != nil || got != want {
			t.Errorf("ParseSwitch(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
}

func TestParseCount(t *testing.T) {
	for in, want := range map[string]int64{
		"0": 0, "7": 7, "+7": 7, " 7\n": 7, "007": 7, "2147483647": math.MaxInt32,
		"-1": -1, "2147483648": -1, "7.0": -1, "1e3": -1, "": -1, "seven": -1, "٧": -1,
	} {
		got, err := ParseCount(in)
		if want < 0 {
			if err == nil {
				t.Errorf("ParseCount(%q) = %d, want an error", in, got)
			}
			continue
		}
		if err != nil || got != want {
			t.Errorf("ParseCount(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
}

func TestParseSize(t *testing.T) {
	const mi = 1 << 20
	for _, tc := range []struct {
		in   string
		kind Kind
		want int64 // -1: an error
	}{
		{"512", MiB, 512 * mi},
		{"512", Bytes, 512},
		{"4g", MiB, 4 << 30},
		{"4G", Bytes, 4 << 30},
		{" 4gb\t", MiB, 4 << 30},
		{"1k", MiB, 1 << 10},
		{"1\u212a", MiB, 1 << 10}, // the Kelvin sign lower-cases to k, in Java as in Go
		{"3t", MiB, 3 << 40},
		{"2pb", MiB, 2 << 50},
		{"100b", MiB, 100},
		{"9223372036854775807", Bytes, math.MaxInt64},
		{"9223372036854775807", MiB, math.MaxInt64},
		{"8192p", MiB, math.MaxInt64},
		{"9223372036854775808", Bytes, -1},
		{"1.5g", MiB, -1},
		{"4 g", MiB, -1},
		{"4gib", MiB, -1},
		{"4x", MiB, -1},
		{"g", MiB, -1},
		{"-4g", MiB, -1},
		{"", MiB, -1},
	} {
		got, err := ParseSize(tc.in, tc.kind)
		if tc.want < 0 {
			if err == nil {
				t.Errorf("ParseSize(%q) = %d, want an error", tc.in, got)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseSize(%q, %v) = %d, %v; want %d", tc.in, tc.kind, got, err, tc.want)
		}
	}
}

func TestParseFactorAndCPU(t *testing.T) {
	for in, ok := range map[string]bool{"0.1": true, " 0.4 ": true, "0": true, "1e1": true, "-0.1": false, "NaN": false, "Infinity": false, "inf": false, "x": false} {
		if _, err := ParseFactor(in); (err == nil) != ok {
			t.Errorf("ParseFactor(%q): %v, want ok %v", in, err, ok)
		}
	}
	for in, ok := range map[string]bool{"2": true, "500m": true, " 1.5 ": true, "0": true, "-1": false, "-1m": false, "two": false, "1.5e999999999": false} {
		if _, err := ParseCPU(in); (err == nil) != ok {
			t.Errorf("ParseCPU(%q): %v, want ok %v", in, err, ok)
		}
	}
}

// javaTrim is String.trim as Java writes it, a char at a time.
func javaTrim(s string) []rune {
	r := []rune(s)
	for len(r) > 0 && r[0] <= ' ' {
		r = r[1:]
	}
	for len(r) > 0 && r[len(r)-1] <= ' ' {
		r = r[:len(r)-1]
	}
	return r
}

// javaEqualsIgnoreCase is String.equalsIgnoreCase as Java writes it: each
// character equal, or equal upper-cased, or equal lower-cased after that.
func javaEqualsIgnoreCase(a []rune, b string) bool {
	br := []rune(b)
	if len(a) != len(br) {
		return false
	}
	for i := range a {
		c1, c2 := a[i], br[i]
		if c1 == c2 {
			continue
		}
		u1, u2 := unicode.ToUpper(c1), unicode.ToUpper(c2)
		if u1 == u2 || unicode.ToLower(u1) == unicode.ToLower(u2) {
			continue
		}
		return false
	}
	return true
}

// FuzzParseSwitch holds ParseSwitch to Spark's own reading, written out
// as Java does it: s.trim, then equalsIgnoreCase("true") or ("false").
func FuzzParseSwitch(f *testing.F) {
	for _, s := range []string{"true", "FALSE", " True\x01", "falſe", "1", "true\u00a0", "\u212a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseSwitch(s)
		trimmed := javaTrim(s)
		switch {
		case javaEqualsIgnoreCase(trimmed, "true"):
			if err != nil || !got {
				t.Fatalf("ParseSwitch(%q) = %v, %v; Spark reads true", s, got, err)
			}
		case javaEqualsIgnoreCase(trimmed, "false"):
			if err != nil || got {
				t.Fatalf("ParseSwitch(%q) = %v, %v; Spark reads false", s, got, err)
			}
		default:
			if err == nil {
				t.Fatalf("ParseSwitch(%q) = %v; Spark refuses it", s, got)
			}
		}
	})
}

// sparkSize is JavaUtils.byteStringAs's pattern.
var sparkSize = regexp.MustCompile(`^([0-9]+)([a-z]+)?$`)

// FuzzParseSize holds ParseSize to JavaUtils.byteStringAs as Spark
// writes it (lower-cased, trimmed, its pattern, its suffixes), saturated
// where Spark would refuse a number too large for a long.
func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"4g", " 512 ", "1\u212a", "100b", "8192p", "1.5g", "4gib", "99999999999999999999"} {
		f.Add(s, false)
	}
	suffix := map[string]uint{"b": 0, "k": 10, "kb": 10, "m": 20, "mb": 20, "g": 30, "gb": 30, "t": 40, "tb": 40, "p": 50, "pb": 50}
	f.Fuzz(func(t *testing.T, s string, bytes bool) {
		kind := MiB
		if bytes {
			kind = Bytes
		}
		got, err := ParseSize(s, kind)
		m := sparkSize.FindStringSubmatch(string(javaTrim(strings.ToLower(s))))
		var want int64 = -1
		if m != nil {
			n, perr := strconv.ParseInt(m[1], 10, 64)
			shift, known := suffix[m[2]]
			if m[2] == "" {
				shift, known = 0, true
				if kind == MiB {
					shift = 20
				}
			}
			switch {
			case perr != nil || !known:
			case n > math.MaxInt64>>shift:
				want = math.MaxInt64
			default:
				want = n << shift
			}
		}
		if want < 0 {
			if err == nil {
				t.Fatalf("ParseSize(%q, %v) = %d; Spark refuses it", s, kind, got)
			}
			return
		}
		if err != nil || got != want {
			t.Fatalf("ParseSize(%q, %v) = %d, %v; want %d", s, kind, got, err, want)
		}
	})
}
