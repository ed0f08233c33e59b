package app

import (
	"archive/tar"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestDiffReadsLinksOfTheRevision: a layer repository that shares files
// and directories through symbolic links (a kustomization's resource
// directory, a file of a directory of Layers) reads the same at --base-ref
// as in its working tree. The revision was read without its links, so an
// unchanged tree showed the linked Layers as added, and a change that
// removed one showed nothing.
func TestDiffReadsLinksOfTheRevision(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatal("git is needed to read a revision: ", err)
	}
	repo := t.TempDir()
	layer := func(name, label string) string {
		return "apiVersion: strata.dev/v1alpha1\nkind: Layer\nmetadata: {name: " + name + "}\n" +
			"spec: {tier: ClusterDefaults, config: {labels: {" + label + ": \"yes\"}}}\n"
	}
	for file, content := range map[string]string{
		"shared/file/labels.yaml":        layer("shared-file", "from-linked-file"),
		"shared/dir/kustomization.yaml":  "resources: [layer.yaml]\n",
		"shared/dir/layer.yaml":          layer("shared-dir", "from-linked-dir"),
		"clusters/a/own.yaml":            layer("own", "own"),
		"clusters/a/kustomization.yaml":  "resources: [own.yaml, common]\n",
		"clusters/plain/own.yaml":        layer("own", "own"),
		"clusters/plain/ignored.txt.bak": "not read",
	} {
		path := filepath.Join(repo, file)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for link, target := range map[string]string{
		"clusters/a/common":          "../../shared/dir",
		"clusters/plain/labels.yaml": "../../shared/file/labels.yaml",
	} {
		if err := os.Symlink(target, filepath.Join(repo, link)); err != nil {
			t.Fatal(err)
		}
	}
	commitAll(t, repo, "layers")
	diff := func(dir string) run {
		return composer(t, "", "diff", "--base-ref", "HEAD", "--head", filepath.Join(repo, "clusters", dir),
			"--cluster", "prod-a", "--pool", "batch", "-f", filepath.Join(examples, "pods", "executor.yaml"))
	}
	for _, dir := range []string{"a", "plain"} {
		if r := diff(dir); r.code != ExitOK || !strings.Contains(r.out, "Summary: 0 of 1 objects change") {
			t.Errorf("%s unchanged: exit %d\n%s%s", dir, r.code, r.out, r.err)
		}
	}
	// The working tree drops the linked directory and the linked file.
	if err := os.WriteFile(filepath.Join(repo, "clusters", "a", "kustomization.yaml"), []byte("resources: [own.yaml]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(repo, "clusters", "plain", "labels.yaml")); err != nil {
		t.Fatal(err)
	}
	for dir, want := range map[string][]string{
		"a":     {`metadata.labels.from-linked-dir  "yes"  ->  (unset)`},
		"plain": {`metadata.labels.from-linked-file  "yes"  ->  (unset)`},
	} {
		r := diff(dir)
		for _, w := range want {
			if r.code != ExitOK || !strings.Contains(r.out, w) {
				t.Errorf("%s without its links: exit %d, want %q:\n%s%s", dir, r.code, w, r.out, r.err)
			}
		}
	}
}

// extractTree writes nothing outside its directory: not through a name
// that leaves it, nor through a link that does.
func TestExtractTreeStaysInside(t *testing.T) {
	outside := t.TempDir()
	archive := func(entries ...*tar.Header) *bytes.Buffer {
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		for _, h := range entries {
			if h.Typeflag == tar.TypeReg {
				h.Size = int64(len("data"))
			}
			if err := tw.WriteHeader(h); err != nil {
				t.Fatal(err)
			}
			if h.Typeflag == tar.TypeReg {
				if _, err := tw.Write([]byte("data")); err != nil {
					t.Fatal(err)
				}
			}
		}
		if err := tw.Close(); err != nil {
			t.Fatal(err)
		}
		return &buf
	}
	for _, tc := range []struct {
		name    string
		entries []*tar.Header
		want    string // in the error; "" for none
	}{
		{"a name above the tree", []*tar.Header{{Name: "../evil.yaml", Typeflag: tar.TypeReg}}, "outside the repository"},
		{"an absolute name", []*tar.Header{{Name: "/evil.yaml", Typeflag: tar.TypeReg}}, "outside the repository"},
		{"a file through a link out of the tree", []*tar.Header{
			{Name: "out", Typeflag: tar.TypeSymlink, Linkname: outside},
			{Name: "out/evil.yaml", Typeflag: tar.TypeReg},
		}, "writing out/evil.yaml"},
		{"a file through a link up out of the tree", []*tar.Header{
			{Name: "d/up", Typeflag: tar.TypeSymlink, Linkname: "../.."},
			{Name: "d/up/evil.yaml", Typeflag: tar.TypeReg},
		}, "writing d/up/evil.yaml"},
		{"files, directories and links within", []*tar.Header{
			{Name: "pax_global_header", Typeflag: tar.TypeXGlobalHeader, PAXRecords: map[string]string{"comment": "0123"}},
			{Name: "d/", Typeflag: tar.TypeDir},
			{Name: "d/a.yaml", Typeflag: tar.TypeReg},
			{Name: "d/b.yaml", Typeflag: tar.TypeSymlink, Linkname: "a.yaml"},
			{Name: "e", Typeflag: tar.TypeSymlink, Linkname: "d"},
		}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			err := extractTree(archive(tc.entries...), dir, "/work/repo")
			switch {
			case tc.want == "" && err != nil:
				t.Fatal(err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			case tc.want == "":
				for _, f := range []string{"d/a.yaml", "d/b.yaml", "e/a.yaml"} {
					if data, err := os.ReadFile(filepath.Join(dir, f)); err != nil || string(data) != "data" {
						t.Errorf("%s: %q, %v", f, data, err)
					}
				}
			}
			if entries, _ := os.ReadDir(outside); len(entries) > 0 {
				t.Errorf("written outside the tree: %v", entries)
			}
		})
	}
	// A link that leaves the tree points where the working tree's does.
	dir := t.TempDir()
	if err := extractTree(archive(&tar.Header{Name: "a/b/shared", Typeflag: tar.TypeSymlink, Linkname: "../../../common"}), dir, "/work/repo"); err != nil {
		t.Fatal(err)
	}
	if target, err := os.Readlink(filepath.Join(dir, "a", "b", "shared")); err != nil || target != "/work/common" {
		t.Errorf("a link out of the tree points to %q (%v), want /work/common", target, err)
	}
}

// A revision that cannot be written is an error of its own, at once: git
// archive, blocked writing what is no longer read, is stopped rather than
// waited for until the deadline.
func TestArchiveIntoStopsGitOnError(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatal("git is needed to read a revision: ", err)
	}
	repo := t.TempDir()
	for name, size := range map[string]int{"a.yaml": 10, "big.yaml": 4 << 20} {
		if err := os.WriteFile(filepath.Join(repo, name), bytes.Repeat([]byte("#"), size), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	commitAll(t, repo, "layers")
	dir := t.TempDir()
	// The first file of the archive cannot be written: one is there.
	if err := os.WriteFile(filepath.Join(dir, "a.yaml"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := archiveInto(ctx, repo, "HEAD", dir)
	if err == nil || !strings.Contains(err.Error(), "writing a.yaml") || ctx.Err() != nil {
		t.Errorf("error %v (deadline: %v), want the write's", err, ctx.Err())
	}
}
