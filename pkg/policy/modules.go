package policy

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Modules are Rego sources keyed by file path.
type Modules map[string]string

// LoadModules reads every .rego file of fsys that is not a test
// (*_test.rego), so a policy folder can keep its tests beside it.
func LoadModules(fsys fs.FS) (Modules, error) {
	mods := Modules{}
	err := fs.WalkDir(fsys, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !strings.HasSuffix(path, ".rego") || strings.HasSuffix(path, "_test.rego") {
			return nil
		}
		data, err := fs.ReadFile(fsys, path)
		if err != nil {
			return err
		}
		mods[path] = string(data)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading policies: %w", err)
	}
	if len(mods) == 0 {
		return nil, fmt.Errorf("no .rego policies found")
	}
	return mods, nil
}

// LoadDir reads the policies of a directory, as LoadModules does, with
// file paths that name the directory.
func LoadDir(dir string) (Modules, error) {
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("--policies %s: not a directory of .rego files", dir)
	}
	mods, err := LoadModules(os.DirFS(dir))
	if err != nil {
		return nil, fmt.Errorf("--policies %s: %w", dir, err)
	}
	out := make(Modules, len(mods))
	for p, src := range mods {
		out[filepath.Join(dir, p)] = src
	}
	return out, nil
}

// Files are the module paths, sorted.
func (m Modules) Files() []string {
	files := make([]string, 0, len(m))
	for f := range m {
		files = append(files, f)
	}
	slices.Sort(files)
	return files
}
