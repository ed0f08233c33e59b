package sparkvalue

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestFiles(t *testing.T) {
	for _, tt := range []struct {
		list string
		want []string
	}{
		{"", nil},
		{" , ,", nil},
		{"s3a://b/a.jar", []string{"s3a://b/a.jar"}},
		{" local:///opt/a.jar ,\t/etc/passwd,,s3a://b/c.jar\x01", []string{"local:///opt/a.jar", "/etc/passwd", "s3a://b/c.jar"}},
		// Java's trim cuts nothing beyond the space: U+00A0 stays.
		{"\u00a0/etc/passwd", []string{"\u00a0/etc/passwd"}},
	} {
		if got := Files(tt.list); !slices.Equal(got, tt.want) {
			t.Errorf("Files(%q) = %q, want %q", tt.list, got, tt.want)
		}
	}
}

// TestSubmitterLocal: what spark-submit would read from the filesystem
// where it runs (the Spark Operator's, with the operator) is local; what
// the driver fetches itself is not.
func TestSubmitterLocal(t *testing.T) {
	local := []string{
		"/var/run/secrets/kubernetes.io/serviceaccount/token",
		"token",
		"../token",
		"file:///etc/passwd",
		"file:/etc/passwd",
		"FILE:///etc/passwd", // Spark compares the scheme as written; any case is refused
		"/opt/env.tar.gz#env",
		`C:\x`, // a backslash is no URI's: a path
		// java.net.URI refuses these; Spark then reads each as a path, and
		// its canonical form resolves the dots.
		"s3a://b/../../../../var/run/secrets/kubernetes.io/serviceaccount/token ",
		" s3a://b/x.jar",
		"s3a://[/../../../etc/passwd",
		"s3a://b/x|y.jar",
		"s3a://b/%zz.jar",
		"s3a://b/%2",
		"s3a://b/x.jar#a#b",
		"s3a://b/x\u00a0.jar",
		"s3a://b/x\u2028.jar",
		"s3a://b/x\u0085.jar",
		"s3a://b/x\xff.jar",
		"s3a:",
		"s3a:#x",
		"s3a://",
		"3a://b/x.jar",
		"s_3://b/x.jar",
		":x",
		"/a:b",
		"hdfs://[::1]:8020/x.jar", // IPv6 hosts: brackets count as local anywhere
	}
	remote := []string{
		NoResource,
		"local:///opt/spark/examples/jars/spark-examples.jar",
		"s3a://bucket/jars/app.jar",
		"s3a://bucket/../x.jar", // a well-formed URI: the driver fetches it
		"https://repo.example/x.jar?sig=a%2Fb&x=1",
		"hdfs://nn:8020/user/x.jar",
		"abfss://c@acct.dfs.core.windows.net/x.jar",
		"gs://b/env.tar.gz#environment",
		"s3a://b/données.jar",
		"s3a:///x.jar",
		"s3a:x",
		"Local:///x.jar",
		"C:/x",               // a one-letter scheme is a scheme: the driver fails to fetch it
		"s0+a.b-c://b/x.jar", // a scheme's every kind of character after its first letter
	}
	for _, u := range local {
		if !SubmitterLocal(u) {
			t.Errorf("SubmitterLocal(%q) = false, want true", u)
		}
	}
	for _, u := range remote {
		if SubmitterLocal(u) {
			t.Errorf("SubmitterLocal(%q) = true, want false", u)
		}
	}
}

// javaRemote restates SubmitterLocal's rule apart from its code: a scheme
// other than file, and a scheme-specific part of only what java.net.URI
// admits (RFC 2396's characters but brackets, escapes, visible characters
// beyond ASCII), not empty, not a bare fragment or an empty authority,
// with at most one fragment.
var (
	javaScheme = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9+.-]*):(.*)$`)
	javaPart   = regexp.MustCompile(`^(?:[A-Za-z0-9\-_.!~*'();/?:@&=+$,#]|%[0-9A-Fa-f]{2}|[^\x00-\x{9f}\p{Zs}\p{Zl}\p{Zp}])*$`)
)

func javaRemote(u string) bool {
	if u == NoResource {
		return true
	}
	m := javaScheme.FindStringSubmatch(u)
	if m == nil || strings.EqualFold(m[1], "file") || !utf8.ValidString(u) {
		return false
	}
	rest := m[2]
	return rest != "" && rest[0] != '#' && rest != "//" && strings.Count(rest, "#") <= 1 && javaPart.MatchString(rest)
}

// FuzzSubmitterLocal holds SubmitterLocal to javaRemote: no URI the rule
// counts as local passes as remote.
func FuzzSubmitterLocal(f *testing.F) {
	for _, s := range []string{"s3a://b/x.jar", "/etc/passwd", "s3a://b/%zz", "local:///x", "s3a://b/\u00a0", "x:#", "s3a://b/é#f#g"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, u string) {
		if got, want := SubmitterLocal(u), !javaRemote(u); got != want {
			t.Fatalf("SubmitterLocal(%q) = %v, want %v", u, got, want)
		}
		for _, e := range Files(u) {
			if e == "" || strings.Contains(e, ",") || Trim(e) != e {
				t.Fatalf("Files(%q) holds %q", u, e)
			}
		}
	})
}
