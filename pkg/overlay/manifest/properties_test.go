package manifest

import (
	"maps"
	"strings"
	"testing"
)

func TestDecodeProperties(t *testing.T) {
	got, err := DecodeProperties("user.properties", []byte(strings.Join([]string{
		"# a comment",
		"! another",
		"",
		"spark.executor.memory 4g",
		"spark.executor.cores=2",
		"spark.app.name : nightly",
		"spark.driver.extraJavaOptions   -Dx=1 -Dy=2",
		"spark.eventLog.dir = s3a://bucket/\\",
		"   events/",
		"spark.flag",
		`spark.hadoop.fs.s3a.endpoint=https\://s3.internal`,
		`spark.kubernetes.driver.label.owner=\u00e9lise`,
	}, "\n")))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"spark.executor.memory": "4g", "spark.executor.cores": "2", "spark.app.name": "nightly",
		"spark.driver.extraJavaOptions": "-Dx=1 -Dy=2", "spark.eventLog.dir": "s3a://bucket/events/", "spark.flag": "",
		"spark.hadoop.fs.s3a.endpoint": "https://s3.internal", "spark.kubernetes.driver.label.owner": "élise",
	}
	if !maps.Equal(got, want) {
		t.Errorf("got %v\nwant %v", got, want)
	}
	for _, bad := range []struct{ in, want string }{
		{"a=1\nb=2\na=3\n", "user.properties:3: a is set again (first on line 1)"},
		{"=1\n", "user.properties:1: a property without a key"},
		{"a=1\nb=\\u00\n", `user.properties:2: value of b: malformed \uxxxx escape`},
	} {
		if _, err := DecodeProperties("user.properties", []byte(bad.in)); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%q: error %v, want %q", bad.in, err, bad.want)
		}
	}
}

// FuzzDecodeProperties: arbitrary bytes give properties or an error,
// never a panic; every key is non-empty.
func FuzzDecodeProperties(f *testing.F) {
	f.Add([]byte("a=1\nb : 2\nc 3\\\n d\n# x\n"))
	f.Add([]byte("\\\n\\"))
	f.Fuzz(func(t *testing.T, data []byte) {
		props, err := DecodeProperties("fuzz.properties", data)
		if err != nil {
			return
		}
		for k := range props {
			if k == "" {
				t.Fatal("an empty key")
			}
		}
	})
}

// TestPropertiesBound: a file of exactly the largest size read is read;
// one byte more is refused, naming the bound.
func TestPropertiesBound(t *testing.T) {
	line := "spark.executor.cores=2\n"
	atBound := line + "#" + strings.Repeat(" ", maxPropertiesBytes-len(line)-1)
	if got, err := DecodeProperties("big.properties", []byte(atBound)); err != nil || got["spark.executor.cores"] != "2" {
		t.Fatalf("a file of exactly %d bytes: %v, %v", maxPropertiesBytes, got, err)
	}
	if _, err := DecodeProperties("big.properties", []byte(atBound+" ")); err == nil || !strings.Contains(err.Error(), "big.properties: file is") {
		t.Fatalf("a file one byte over: %v", err)
	}
}
