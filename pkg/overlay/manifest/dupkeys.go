package manifest

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	yaml "go.yaml.in/yaml/v3"
)

// checkDuplicateKeys returns an error naming the first key a YAML (or
// JSON) file sets twice in one mapping, with both lines: YAML and JSON
// decoders keep the last silently, which would drop a setting. A file
// that does not parse is left to the decoder, which says why.
func checkDuplicateKeys(file string, data []byte) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for doc := 1; ; doc++ {
		var n yaml.Node
		if err := dec.Decode(&n); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return nil //nolint:nilerr // not YAML: DecodeDocuments reports it
		}
		if err := duplicateIn(file, &n, "", 0); err != nil {
			return err
		}
	}
}

// maxYAMLDepth bounds the walk, as the decoders bound nesting.
const maxYAMLDepth = 10000

func duplicateIn(file string, n *yaml.Node, path string, depth int) error {
	if n == nil || depth > maxYAMLDepth {
		return nil
	}
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			if err := duplicateIn(file, c, path, depth+1); err != nil {
				return err
			}
		}
	case yaml.MappingNode:
		seen := make(map[string]int, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			child := path
			if k.Kind == yaml.ScalarNode && k.Tag != "!!merge" {
				child = joinPath(path, k.Value)
				if first, dup := seen[k.Value]; dup {
					return fmt.Errorf("%s: line %d: %s is set twice (first on line %d): only one value could hold", file, k.Line, child, first)
				}
				seen[k.Value] = k.Line
			}
			if err := duplicateIn(file, v, child, depth+1); err != nil {
				return err
			}
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			if err := duplicateIn(file, c, fmt.Sprintf("%s[%d]", path, i), depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
