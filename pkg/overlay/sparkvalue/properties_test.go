package sparkvalue

import (
	"encoding/hex"
	"errors"
	"maps"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestReadProperties(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []Property
	}{
		{"separators", "a=1\nb : 2\nc 3\nd\t=\t4\ne\n f:=5\n", []Property{
			{"a", "1", 1}, {"b", "2", 2}, {"c", "3", 3}, {"d", "4", 4}, {"e", "", 5}, {"f", "=5", 6}}},
		{"comments and blank lines", "# a\n  ! b\n\n \t\f\nk=v # not a comment\n", []Property{{"k", "v # not a comment", 5}}},
		{"escaped separators in the key", `k\ e\=y\:s=v` + "\n", []Property{{"k e=y:s", "v", 1}}},
		{"escapes in the value", `k=s3a\://b\\c\d\t\n` + "\n", []Property{{"k", "s3a://b\\cd\t\n", 1}}},
		{"unicode escapes, a surrogate pair, unpaired ones", `k\u0041=\u00e9\uD83D\uDE00\uD83Dx\uDE00` + "\n", []Property{{"kA", "é😀?x?", 1}}},
		{"a continued line drops the next line's leading whitespace", "k=a\\\n   b\\\n\tc\nl=d\n", []Property{{"k", "abc", 1}, {"l", "d", 4}}},
		{"an even number of backslashes ends the line", "k=a\\\\\nl=b\n", []Property{{"k", `a\`, 1}, {"l", "b", 2}}},
		{"a continued line may start with '#'", "k=a\\\n#b\n", []Property{{"k", "a#b", 1}}},
		{"a comment does not continue", "# a\\\nk=v\n", []Property{{"k", "v", 2}}},
		{"\\r and \\r\\n end lines", "a=1\rb=2\r\nc=3", []Property{{"a", "1", 1}, {"b", "2", 2}, {"c", "3", 3}}},
		{"a backslash at the end of the file is dropped", "k=v\\", []Property{{"k", "v", 1}}},
		{"values are trimmed but escaped line breaks", "k=\\ v \\t\\n \n", []Property{{"k", "v \t\n", 1}}},
		{"a key given twice is kept twice, in order", "a=1\na=2\n", []Property{{"a", "1", 1}, {"a", "2", 2}}},
		{"an empty key", "=v\n", []Property{{"", "v", 1}}},
		{"a line a continuation leaves empty is skipped", "\\\n\nk=v\n", []Property{{"k", "v", 3}}},
		{"or read as a comment", "\\\n#k=v\nl=w", []Property{{"l", "w", 3}}},
		{"but at the end of the file after a line feed, it is an empty key", "k=v\n\\\n", []Property{{"k", "v", 1}, {"", "", 2}}},
		{"and after a carriage return and a line feed, nothing", "k=v\n\\\r\n", []Property{{"k", "v", 1}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ReadProperties([]byte(tc.in))
			if err != nil || !slices.Equal(got, tc.want) {
				t.Errorf("ReadProperties(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
			}
		})
	}
	for in, want := range map[string]string{
		"a=1\nk=\\u00zz\n": `line 2: value of k: malformed \uxxxx escape "\\u00zz"`,
		"k\\u12=v":         `line 1: key: malformed \uxxxx escape "\\u12"`,
	} {
		_, err := ReadProperties([]byte(in))
		var perr *PropertiesError
		if err == nil || err.Error() != want || !errors.As(err, &perr) {
			t.Errorf("ReadProperties(%q): error %v, want %q", in, err, want)
		}
	}
}

// propertiesCorpus are the files ReadProperties is held to Java's own
// reading of: every file of its table test, and files built at random
// (from a fixed seed) of the parts that decide the reading.
func propertiesCorpus() []string {
	out := []string{"a=1\nb : 2\nc 3\nd\t=\t4\ne\n f:=5\n", "# a\n  ! b\n\n \t\f\nk=v # c\n", `k\ e\=y\:s=v`, `k=s3a\://b\\c\d\t\n`,
		`k\u0041=\u00e9\uD83D\uDE00\uD83Dx\uDE00`, "k=a\\\n   b\\\n\tc\nl=d\n", "k=a\\\\\nl=b\n", "k=a\\\n#b\n", "# a\\\nk=v\n",
		"a=1\rb=2\r\nc=3", "k=v\\", "k=\\ v \\t\\n \n", "a=1\na=2\n", "=v\n", "a=1\nk=\\u00zz\n", "k\\u12=v", ""}
	parts := [][]string{
		{"", " ", "\t", "\f", "  "},
		{"", "", "", "#", "!"},
		{"a", "spark.x", `k\ e`, `k\=e`, `k\:e`, `\u0041`, `\uD83D\uDE00`, `\uD83D`, `\uDE00x`, `\u00e9`, "é", `\\`, `\t`, `\q`, `\#`, ""},
		{"=", ":", " ", " = ", "\t:\t", "  ", "==", "=:", "", `\`},
		{"v", " v ", `\ v`, `s3a\://b`, `\n`, `\r`, `a\\`, `\u12`, `\uzzzz`, "x y", "#c", `\u0009`, "\u00a0", "", `v\`},
		{"\n", "\r\n", "\r", "\\\n", "\\\r\n", "\\\\\n", "\\\\\\\n", "\n\n", "\\\n\n"},
	}
	r := rand.New(rand.NewPCG(3, 4))
	for len(out) < 3000 {
		var b strings.Builder
		for range 1 + r.IntN(4) {
			for _, p := range parts {
				b.WriteString(p[r.IntN(len(p))])
			}
		}
		out = append(out, b.String())
	}
	return out
}

// javaRead is what ReadProperties reads from a file as Java's Properties
// would hold it (the last of a key's values), in the form
// hack/javaprops/ReadProperties.java prints it.
func javaRead(file string) string {
	props, err := ReadProperties([]byte(file))
	if err != nil {
		return "error"
	}
	last := map[string]string{}
	for _, p := range props {
		last[hex.EncodeToString([]byte(p.Key))] = hex.EncodeToString([]byte(p.Value))
	}
	var entries []string
	for _, k := range slices.Sorted(maps.Keys(last)) {
		entries = append(entries, k+"="+last[k])
	}
	return strings.Join(entries, " ")
}

// TestReadPropertiesAgreesWithJava: ReadProperties reads every file of
// propertiesCorpus as Spark does, by what hack/javaprops/ReadProperties.java
// wrote into testdata/properties.golden.
func TestReadPropertiesAgreesWithJava(t *testing.T) {
	corpus := propertiesCorpus()
	golden := filepath.Join("testdata", "properties.golden")
	sc := javaGolden(t, filepath.Join("javaprops", "ReadProperties.java"), golden, corpus)
	i, errs := 0, 0
	for ; sc.Scan(); i++ {
		if i >= len(corpus) {
			break
		}
		if got := javaRead(corpus[i]); got != sc.Text() {
			t.Errorf("ReadProperties(%q) reads %s; Java: %s", corpus[i], got, sc.Text())
		}
		if sc.Text() == "error" {
			errs++
		}
	}
	if i != len(corpus) {
		t.Fatalf("%s has %d readings for %d files: run the test with -java", golden, i, len(corpus))
	}
	t.Logf("%d files, %d refused", len(corpus), errs)
}

// FuzzPropertiesLine: any key and value, written by PropertiesLine, read
// back as that key and value, only what Spark trims off a value lost.
func FuzzPropertiesLine(f *testing.F) {
	for _, s := range [][2]string{{"spark.x", "v"}, {" k=e:y#!", " \\v\n\r\t\f\x01"}, {"é", "\u00a0a "}, {"#k", "#v"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, key, value string) {
		if key == "" {
			return
		}
		line := PropertiesLine(key, value)
		if strings.ContainsAny(line, "\r\n") {
			t.Fatalf("PropertiesLine(%q, %q) = %q: not one line", key, value, line)
		}
		got, err := ReadProperties([]byte(line))
		// Each byte that is not UTF-8 is written as U+FFFD.
		want := []Property{{Key: string([]rune(key)), Value: trimExceptCRLF(string([]rune(value))), Line: 1}}
		if err != nil || !slices.Equal(got, want) {
			t.Fatalf("PropertiesLine(%q, %q) = %q, read back as %+v, %v; want %+v", key, value, line, got, err, want)
		}
	})
}
