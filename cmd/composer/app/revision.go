package app

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// treeAt is dir as it is at ref in its git repository, and dir's path in
// it: the whole repository at ref (a kustomization may reach outside dir),
// written by git archive to a temporary directory that done removes. The
// revision is read from disk as --head is, so a symbolic link reads alike
// on both sides: one within the repository resolves within the revision,
// one that leaves it points where the working tree's points.
func treeAt(ctx context.Context, dir, ref string) (fsys filesys.FileSystem, base string, done func(), err error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, "", nil, err
	}
	top, err := gitOutput(ctx, abs, "rev-parse", "--show-toplevel")
	if err != nil {
		return nil, "", nil, fmt.Errorf("--base-ref: %s is not in a git repository: %w", dir, err)
	}
	root := strings.TrimSpace(string(top))
	if resolved, err := filepath.EvalSymlinks(abs); err == nil {
		abs = resolved
	}
	rel, err := filepath.Rel(root, abs)
	if err != nil || strings.HasPrefix(rel, "..") {
		return nil, "", nil, fmt.Errorf("--base-ref: %s is not inside %s", dir, root)
	}
	tmp, err := os.MkdirTemp("", "strata-base-*")
	if err != nil {
		return nil, "", nil, fmt.Errorf("--base-ref: %w", err)
	}
	done = func() { _ = os.RemoveAll(tmp) }
	if err := archiveInto(ctx, root, ref, tmp); err != nil {
		done()
		return nil, "", nil, fmt.Errorf("--base-ref %s: %w", ref, err)
	}
	base = filepath.Join(tmp, rel)
	if info, err := os.Stat(base); err != nil || !info.IsDir() {
		done()
		return nil, "", nil, fmt.Errorf("--base-ref %s: %s does not exist at that revision", ref, rel)
	}
	return filesys.MakeFsOnDisk(), base, done, nil
}

// archiveInto writes the tree of the repository at root as it is at ref
// into dir, streamed from git archive.
func archiveInto(ctx context.Context, root, ref, dir string) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops git where the archive is not read to its end
	var stderr bytes.Buffer
	cmd := gitCommand(ctx, root, &stderr, "archive", "--format=tar", ref)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("git archive: %w", err)
	}
	extracted := extractTree(out, dir, root)
	if extracted != nil {
		// git may be blocked writing what is no longer read.
		cancel()
	} else {
		// The archive's padding after its end, read before Wait.
		_, _ = io.Copy(io.Discard, out)
	}
	if err := cmd.Wait(); extracted == nil && err != nil {
		return fmt.Errorf("git archive %s: %w: %s", ref, err, strings.TrimSpace(stderr.String()))
	}
	return extracted
}

// extractTree writes the files, directories and symbolic links of the tar
// stream r into dir. A link whose target leaves the tree is written to
// point where it points from root, the working tree the archive was made
// of. Every write goes through an os.Root of dir, which follows no link
// out of it: a name that leaves dir, or a file written through a link that
// does, is an error.
func extractTree(r io.Reader, dir, root string) error {
	into, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer func() { _ = into.Close() }()
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading the archive: %w", err)
		}
		name := filepath.Clean(filepath.FromSlash(h.Name))
		if !filepath.IsLocal(name) {
			return fmt.Errorf("the archive names %q, outside the repository", h.Name)
		}
		switch h.Typeflag {
		case tar.TypeDir:
			err = into.MkdirAll(name, 0o755)
		case tar.TypeReg:
			err = writeFile(into, name, tr)
		case tar.TypeSymlink:
			target := filepath.FromSlash(h.Linkname)
			if within := filepath.Join(filepath.Dir(name), target); !filepath.IsAbs(target) && !filepath.IsLocal(within) {
				target = filepath.Join(root, within)
			}
			if err = into.MkdirAll(filepath.Dir(name), 0o755); err == nil {
				err = into.Symlink(target, name)
			}
		default:
			// git archive's pax header of the commit; a submodule's entry.
		}
		if err != nil {
			return fmt.Errorf("writing %s: %w", h.Name, err)
		}
	}
}

// writeFile writes what r holds to the new file name of root.
func writeFile(root *os.Root, name string, r io.Reader) error {
	if err := root.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return err
	}
	f, err := root.OpenFile(name, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	_, err = io.Copy(f, r)
	return errors.Join(err, f.Close())
}

// gitOutput is what git, run in dir with args, writes on its standard
// output; an error carries what it wrote on its standard error.
func gitOutput(ctx context.Context, dir string, args ...string) ([]byte, error) {
	var stderr bytes.Buffer
	out, err := gitCommand(ctx, dir, &stderr, args...).Output()
	if err != nil {
		return nil, fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

// gitCommand is git run in dir with args, its standard error into stderr,
// never prompting for credentials.
func gitCommand(ctx context.Context, dir string, stderr io.Writer, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", dir}, args...)...)
	cmd.Stderr = stderr
	cmd.Env = append(os.Environ(), "GIT_TERMINAL_PROMPT=0")
	return cmd
}
