package app

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// A PolicyTest case's expect.stored names fields of what the API server
// stores of the case's object by path, as -o explain names them
// (spec.initContainers[log-shipper].image,
// metadata.labels["platform.strata.dev/pool"],
// spec.tolerations[node.strata.dev/pool/NoSchedule].value), each with the
// value expected there, exactly (a map or a list as a whole), or null for
// a field that must be absent.

// pathStep is one step of a stored field's path: an object's key, or a
// list's element, selected by what names it (selector).
type pathStep struct {
	key string
	// selector is a bracketed step ([x] or ["x"]): on a list, the element
	// x names (elementNames); on an object, the key x.
	selector bool
}

// parseStoredPath parses a path of expect.stored: keys after dots (the
// first without one), and bracketed steps, quoted as JSON strings where
// they hold anything (["a.b/c"]) or bare up to the next "]".
func parseStoredPath(path string) ([]pathStep, error) {
	var steps []pathStep
	rest := path
	for rest != "" {
		switch {
		case rest[0] == '[':
			rest = rest[1:]
			if strings.HasPrefix(rest, `"`) {
				end := quotedEnd(rest)
				if end < 0 {
					return nil, fmt.Errorf("an unterminated quoted step in %q", path)
				}
				key, err := strconv.Unquote(rest[:end])
				if err != nil {
					return nil, fmt.Errorf("step %s of %q: %w", rest[:end], path, err)
				}
				rest = rest[end:]
				if !strings.HasPrefix(rest, "]") {
					return nil, fmt.Errorf(`%q: want "]" after %s`, path, key)
				}
				steps, rest = append(steps, pathStep{key: key, selector: true}), rest[1:]
				continue
			}
			end := strings.IndexByte(rest, ']')
			if end <= 0 {
				return nil, fmt.Errorf(`%q: want a name or an index between "[" and "]"`, path)
			}
			steps, rest = append(steps, pathStep{key: rest[:end], selector: true}), rest[end+1:]
		case rest[0] == '.' && len(steps) > 0:
			rest = rest[1:]
			fallthrough
		default:
			end := strings.IndexAny(rest, ".[")
			if end < 0 {
				end = len(rest)
			}
			if end == 0 {
				return nil, fmt.Errorf("%q: an empty key", path)
			}
			steps, rest = append(steps, pathStep{key: rest[:end]}), rest[end:]
		}
	}
	if len(steps) == 0 {
		return nil, errors.New("an empty path")
	}
	return steps, nil
}

// quotedEnd is the length of the JSON string s starts with, -1 where it
// does not end.
func quotedEnd(s string) int {
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return -1
}

// storedField is the value at steps in doc (JSON values), and whether doc
// holds it. A selector names a list's element by elementNames, else by its
// index; one that names two elements is an error.
func storedField(doc any, steps []pathStep) (any, bool, error) {
	for _, s := range steps {
		switch node := doc.(type) {
		case map[string]any:
			v, ok := node[s.key]
			if !ok {
				return nil, false, nil
			}
			doc = v
		case []any:
			if !s.selector {
				return nil, false, nil
			}
			at := -1
			for i, e := range node {
				if slices.Contains(elementNames(e), s.key) {
					if at >= 0 {
						return nil, false, fmt.Errorf("[%s] names elements %d and %d of the list", s.key, at, i)
					}
					at = i
				}
			}
			if at < 0 {
				i, err := strconv.Atoi(s.key)
				if err != nil || i < 0 || i >= len(node) {
					return nil, false, nil
				}
				at = i
			}
			doc = node[at]
		default:
			return nil, false, nil
		}
	}
	return doc, true, nil
}

// elementNames are the names of a list's element, as -o explain names
// the elements of the lists layers merge by key (overlay's merge keys),
// the one explain gives first: a volume mount's path (then its volume's
// name), a container's, a volume's or a variable's name, a toleration's
// key/effect (* for an empty one), an envFrom source's
// configMap/NAME/PREFIX or secret/NAME/PREFIX.
func elementNames(e any) []string {
	m, ok := e.(map[string]any)
	if !ok {
		return nil
	}
	var names []string
	str := func(k string) string { s, _ := m[k].(string); return s }
	if p := str("mountPath"); p != "" {
		names = append(names, p)
	}
	if n := str("name"); n != "" {
		names = append(names, n)
	}
	if _, named := m["name"]; !named {
		if _, ok := m["key"]; ok || m["operator"] != nil || m["effect"] != nil {
			k, eff := str("key"), str("effect")
			if k == "" {
				k = "*"
			}
			if eff == "" {
				eff = "*"
			}
			names = append(names, k+"/"+eff)
		}
	}
	for _, ref := range [...]struct{ kind, field string }{{"configMap", "configMapRef"}, {"secret", "secretRef"}} {
		if r, ok := m[ref.field].(map[string]any); ok {
			name, _ := r["name"].(string)
			names = append(names, ref.kind+"/"+name+"/"+str("prefix"))
		}
	}
	return names
}

// listNames names the elements of lists as -o explain names them
// (elementName), counting each list's names once, however many of its
// elements are named: naming every element of a long list stays linear.
type listNames map[*any]map[string]int

// elementName is the name -o explain gives element i of list: its first
// of elementNames where no other element of list has that name, else its
// index.
func (l listNames) elementName(list []any, i int) string {
	names := elementNames(list[i])
	if len(names) == 0 {
		return strconv.Itoa(i)
	}
	counts, ok := l[&list[0]]
	if !ok {
		counts = map[string]int{}
		for _, e := range list {
			for _, n := range slices.Compact(slices.Sorted(slices.Values(elementNames(e)))) {
				counts[n]++
			}
		}
		l[&list[0]] = counts
	}
	if counts[names[0]] == 1 {
		return names[0]
	}
	return strconv.Itoa(i)
}

// StoredProblems are the fields of e.Stored that stored, what the API
// server stores of a case's object, does not hold as expected, each a
// line of a report: what composer test reports of a case, for a check of
// the same case against a cluster.
func (e *TestExpectation) StoredProblems(stored any) ([]string, error) {
	return storedProblems(stored, e.Stored, "")
}

// storedProblems are the fields of want (expect.stored) that stored, the
// object the API server stores (a value encoding/json encodes), does not
// hold as expected, each a line of the case's report, in the order of
// their paths; suffix ends each line. Values compare as JSON values.
func storedProblems(stored any, want map[string]json.RawMessage, suffix string) ([]string, error) {
	doc, err := storedValues(stored)
	if err != nil {
		return nil, err
	}
	var problems []string
	for _, path := range slices.Sorted(maps.Keys(want)) {
		steps, err := parseStoredPath(path)
		if err != nil { // validatePolicyTest parsed it already
			return nil, fmt.Errorf("expect.stored: %w", err)
		}
		var expected any
		if err := json.Unmarshal(want[path], &expected); err != nil {
			return nil, fmt.Errorf("expect.stored[%s]: %w", path, err)
		}
		got, held, err := storedField(doc, steps)
		switch {
		case err != nil:
			problems = append(problems, fmt.Sprintf("stored %s: %v%s", path, err, suffix))
		case expected == nil && (!held || got == nil):
		case !held:
			problems = append(problems, fmt.Sprintf("stored %s: absent, want %s%s", path, compactJSON(want[path]), suffix))
		case expected == nil:
			problems = append(problems, fmt.Sprintf("stored %s: got %s, want it absent%s", path, jsonText(got), suffix))
		case !reflect.DeepEqual(got, expected):
			problems = append(problems, fmt.Sprintf("stored %s: got %s, want %s%s", path, jsonText(got), compactJSON(want[path]), suffix))
		}
	}
	return problems, nil
}

// jsonText is v (a JSON value) as JSON.
func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// compactJSON is raw without insignificant space.
func compactJSON(raw json.RawMessage) string {
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return string(raw)
	}
	return b.String()
}

// storedValues is stored, what the API server stores of an object (a
// value encoding/json encodes), as JSON values: what storedField reads.
func storedValues(stored any) (any, error) {
	raw, err := json.Marshal(stored)
	if err != nil {
		return nil, fmt.Errorf("encoding what is stored: %w", err)
	}
	var doc any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("decoding what is stored: %w", err)
	}
	return doc, nil
}
