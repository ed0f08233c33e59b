package mutate

import (
	"slices"
	"testing"

	"github.com/distribution/reference"
)

// imageSpellings are references as tenants write them, valid or not: every
// way of naming Docker Hub, registries with ports, IPv6 hosts, digests,
// upper case where a registry and where a path may hold it.
var imageSpellings = []string{
	"nginx", "nginx:1.27", "nginx@sha256:" + digest, "nginx:1.27@sha256:" + digest,
	"library/nginx", "docker.io/nginx", "docker.io/nginx:1", "docker.io/library/nginx",
	"index.docker.io/nginx", "index.docker.io/library/nginx", "index.docker.io/team/app:2",
	"apache/spark:3.5.3", "docker.io/apache/spark", "team/app/sub:1",
	"localhost/x", "localhost:5000/x", "localhost:5000/x/y:1", "registry:5000/x", "team:5000/x",
	"registry.k8s.io/pause:3.10", "gcr.io/proj/img:tag@sha256:" + digest,
	"GCR.IO/x", "Registry/team/x", "Team/x:1", "[::1]:5000/x", "127.0.0.1:5000/x",
	"docker.io", "docker.io/", "mirror.internal", "localhost", "a/b/c/d/e",
	"Nginx", "team/App", "x/", "/x", "", ":1", "@sha256:" + digest,
}

const digest = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// TestNormalizeImageAsTheRuntime holds NormalizeImage to the library the
// container runtime reads references with: for every reference it can
// parse, the same registry, path, tag and digest.
func TestNormalizeImageAsTheRuntime(t *testing.T) {
	parsed := 0
	for _, image := range imageSpellings {
		if checkAsTheRuntime(t, image) {
			parsed++
		}
	}
	if parsed < 25 {
		t.Errorf("only %d of %d spellings parse: the corpus no longer tests much", parsed, len(imageSpellings))
	}
}

// FuzzNormalizeImage: any reference the runtime's library parses is
// normalized as it reads it.
func FuzzNormalizeImage(f *testing.F) {
	for _, image := range imageSpellings {
		f.Add(image)
	}
	f.Fuzz(func(t *testing.T, image string) { checkAsTheRuntime(t, image) })
}

// checkAsTheRuntime reports whether the library parses image, and fails t
// when NormalizeImage spells it otherwise.
func checkAsTheRuntime(t *testing.T, image string) bool {
	t.Helper()
	named, err := reference.ParseNormalizedNamed(image)
	if err != nil {
		return false
	}
	if got, want := NormalizeImage(image), named.String(); got != want {
		t.Errorf("NormalizeImage(%q) = %q, the runtime reads %q", image, got, want)
	}
	return true
}

func TestNormalizeRegistry(t *testing.T) {
	for prefix, want := range map[string][]string{
		"mirror.internal":         {"mirror.internal"},
		"mirror.internal/":        {"mirror.internal"},
		"ghcr.io/team/":           {"ghcr.io/team"},
		"registry:5000":           {"registry:5000"},
		"localhost":               {"localhost"},
		"Registry/x":              {"Registry/x"},
		"docker.io":               {"docker.io"},
		"docker.io/":              {"docker.io"},
		"index.docker.io":         {"docker.io"},
		"docker.io/library":       {"docker.io/library", "docker.io/library/library"},
		"docker.io/library/nginx": {"docker.io/library/nginx"},
		"index.docker.io/busybox": {"docker.io/busybox", "docker.io/library/busybox"},
		"team":                    {"docker.io/team", "docker.io/library/team"},
		"team/":                   {"docker.io/team", "docker.io/library/team"},
		"apache/spark":            {"docker.io/apache/spark"},
	} {
		if got := NormalizeRegistry(prefix); !slices.Equal(got, want) {
			t.Errorf("NormalizeRegistry(%q) = %q, want %q", prefix, got, want)
		}
	}
	// An image written under a Docker Hub prefix is under one of its
	// spellings once normalized; one of a registry of the same name is not.
	for image, under := range map[string]bool{"team/app": true, "team:1": true, "docker.io/team/x": true,
		"team:5000/app": false, "Team/app": false, "teammate/app": false} {
		if got := slices.ContainsFunc(NormalizeRegistry("team"), func(p string) bool { return hasPrefix(NormalizeImage(image), p) }); got != under {
			t.Errorf("image %q under team: %v, want %v", image, got, under)
		}
	}
}
