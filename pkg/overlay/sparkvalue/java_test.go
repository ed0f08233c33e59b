package sparkvalue

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"flag"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

var runJava = flag.Bool("java", false, "run hack/javauri/SubmitterLocal.java (needs a JDK) and rewrite testdata/submitter-local.golden")

// uriCorpus are the strings SubmitterLocal is held to Spark's own reading
// of: every string of its table test, and strings built at random (from a
// fixed seed) of the parts that decide the reading: schemes, authorities,
// characters java.net.URI refuses, escapes, fragments, dots.
func uriCorpus() []string {
	out := []string{
		"s3a://bucket/jars/app.jar", "local:///opt/spark/examples/jars/spark-examples.jar", "/etc/passwd", "token", "../token",
		"file:///etc/passwd", "FILE:///etc/passwd", "/opt/env.tar.gz#env", "C:/x", `C:\x`, " s3a://b/x.jar",
		"s3a://b/../../../../var/run/secrets/kubernetes.io/serviceaccount/token ", "s3a://[/../../../etc/passwd",
		"hdfs://[::1]:8020/x.jar", "s3a:", "s3a:#x", "s3a://", "s3a:///x.jar", "s3a:x", NoResource, "spark-internal ",
		"https://repo.example/x.jar?sig=a%2Fb&x=1", "gs://b/env.tar.gz#environment", "s3a://b/données.jar",
	}
	parts := [][]string{
		{"", "s3a", "file", "FILE", "File", "local", "hdfs", "C", "3a", "s_3", "a+b.c-d", "é"},
		{"", ":", "://", ":/", ":///", "//", "/"},
		{"", "b", "[::1]", "[", "a@b", "h:99", "h:x", "-", "%41", "%zz", "é"},
		{"", "/", "/x.jar", "/../../etc/passwd", "/a b", "/a%20b", "/%2", "/a|b", `/a\b`, "/a^b", "/a`b", "/{a}", "/\"", "/<a>",
			"/a\u00a0b", "/a\u2028b", "/a\u0085b", "/a\u0080b", "/a\tb", "/ü", "/\U0001F600", "/a[b]", "/;:@&=+$,", "/-_.!~*'()"},
		{"", "?q", "?q#f", "#f", "#f#g", "#", "?", "?[x]", "#[x]", " "},
	}
	r := rand.New(rand.NewPCG(1, 2))
	for len(out) < 3000 {
		var b strings.Builder
		for _, p := range parts {
			b.WriteString(p[r.IntN(len(p))])
		}
		if s := b.String(); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// TestSubmitterLocalAgreesWithJava: every string of uriCorpus Spark reads
// as local to spark-submit (or fails to resolve) is local to
// SubmitterLocal, by the verdicts hack/javauri/SubmitterLocal.java wrote
// into testdata/submitter-local.golden. SubmitterLocal may be stricter
// than Spark; it never lets through what Spark would upload.
func TestSubmitterLocalAgreesWithJava(t *testing.T) {
	corpus := uriCorpus()
	golden := filepath.Join("testdata", "submitter-local.golden")
	sc := javaGolden(t, filepath.Join("javauri", "SubmitterLocal.java"), golden, corpus)
	i, stricter := 0, 0
	for ; sc.Scan(); i++ {
		h, verdict, _ := strings.Cut(sc.Text(), " ")
		data, err := hex.DecodeString(h)
		if err != nil || i >= len(corpus) || string(data) != corpus[i] {
			t.Fatalf("%s line %d is not the corpus's string %d: run the test with -java", golden, i+1, i+1)
		}
		s := corpus[i]
		switch local := SubmitterLocal(s); {
		case verdict != "remote" && !local:
			t.Errorf("SubmitterLocal(%q) = false; Spark: %s", s, verdict)
		case verdict == "remote" && local:
			stricter++
		}
	}
	if i != len(corpus) {
		t.Fatalf("%s has %d verdicts for %d strings: run the test with -java", golden, i, len(corpus))
	}
	t.Logf("%d strings; SubmitterLocal is stricter than Spark on %d", len(corpus), stricter)
	if !utf8.ValidString(strings.Join(corpus, "")) {
		t.Fatal("the corpus holds a string that is not UTF-8, as no API object's does")
	}
}

// javaGolden returns a scanner of golden, what the Java program
// hack/PROGRAM printed reading corpus (each string as hex of its bytes, one
// a line); with -java, it runs the program again (a JDK 11 or later) and
// rewrites golden first.
func javaGolden(t *testing.T, program, golden string, corpus []string) *bufio.Scanner {
	t.Helper()
	if *runJava {
		var in bytes.Buffer
		for _, s := range corpus {
			in.WriteString(hex.EncodeToString([]byte(s)) + "\n")
		}
		cmd := exec.Command("java", filepath.Join("..", "..", "..", "hack", program))
		cmd.Stdin, cmd.Stderr = &in, os.Stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("running Java: %v", err)
		}
		if err := os.WriteFile(golden, out, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	return sc
}
