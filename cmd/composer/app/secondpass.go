package app

import (
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"gomodules.xyz/jsonpatch/v2"
)

// secondPassChange is a field of what the API server stores that is not as
// the webhook composed it: what the API server's second pass gave it.
type secondPassChange struct {
	// Field is the field's path, as -o explain names fields: a list's
	// element by its name where it has one (spec.initContainers[log-shipper]).
	Field string
	// Value is its value as stored, nil where the second pass removed it.
	Value *string
}

// secondPassChanges are the fields of stored that differ from composed,
// both the JSON values of one object (the webhook's composition and what
// the API server stores of it: policy.Reinvoked, appCreation,
// connectCreation), sorted by path. The same diff as the webhook's patch
// oracle (jsonpatch.CreatePatch), each operation a field: an element added
// to a list or taken from it is one change.
func secondPassChanges(composed, stored any) ([]secondPassChange, error) {
	if reflect.DeepEqual(composed, stored) {
		// Equal values encode alike: no second pass changed anything,
		// which is most objects; the encodings and their diff are dearer.
		return nil, nil
	}
	before, err := json.Marshal(composed)
	if err != nil {
		return nil, fmt.Errorf("encoding the composition: %w", err)
	}
	after, err := json.Marshal(stored)
	if err != nil {
		return nil, fmt.Errorf("encoding what is stored: %w", err)
	}
	ops, err := jsonpatch.CreatePatch(before, after)
	if err != nil {
		return nil, fmt.Errorf("comparing what is stored with the composition: %w", err)
	}
	if len(ops) == 0 {
		return nil, nil
	}
	var beforeDoc, afterDoc any
	if err := json.Unmarshal(before, &beforeDoc); err != nil {
		return nil, fmt.Errorf("decoding the composition: %w", err)
	}
	if err := json.Unmarshal(after, &afterDoc); err != nil {
		return nil, fmt.Errorf("decoding what is stored: %w", err)
	}
	out := make([]secondPassChange, 0, len(ops))
	names := listNames{}
	for _, op := range ops {
		// A removed field is named as it was, another as it is.
		doc := afterDoc
		var value *string
		if op.Operation == "remove" {
			doc = beforeDoc
		} else {
			v := jsonText(op.Value) // a value JSON decoded
			value = &v
		}
		out = append(out, secondPassChange{Field: names.fieldOfPointer(doc, op.Path), Value: value})
	}
	slices.SortStableFunc(out, func(a, b secondPassChange) int { return strings.Compare(a.Field, b.Field) })
	return out, nil
}

// plainKey is an object key a path names after a dot; any other is named
// in brackets, quoted (metadata.annotations["strata.dev/layers"]).
var plainKey = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// fieldOfPointer names the field a JSON Pointer (RFC 6901) points to in
// doc as -o explain names fields: keys after dots, a list's element by
// its name (elementName), else by its index, as a PolicyTest's
// expect.stored finds it (storedField). Where doc does not hold the path
// (the pointer's last token, a list's "-"), the tokens are named as they
// are.
func (l listNames) fieldOfPointer(doc any, pointer string) string {
	var b strings.Builder
	tokens := strings.Split(strings.TrimPrefix(pointer, "/"), "/")
	for _, tok := range tokens {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch node := doc.(type) {
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(node) {
				fmt.Fprintf(&b, "[%s]", tok)
				doc = nil
				continue
			}
			doc = node[i]
			fmt.Fprintf(&b, "[%s]", l.elementName(node, i))
		default:
			if m, ok := node.(map[string]any); ok {
				doc = m[tok]
			} else {
				doc = nil
			}
			switch {
			case !plainKey.MatchString(tok):
				fmt.Fprintf(&b, "[%q]", tok)
			case b.Len() > 0:
				b.WriteString("." + tok)
			default:
				b.WriteString(tok)
			}
		}
	}
	return b.String()
}

// explainSecondPass prints, apart, what the API server's second pass
// changed of what the webhook composed: values no layer and no user set
// (a LimitRange's defaults on a sidecar a layer injected, say).
func explainSecondPass(b *strings.Builder, composed, stored any) error {
	changes, err := secondPassChanges(composed, stored)
	if err != nil || len(changes) == 0 {
		return err
	}
	b.WriteString("\nThen the API server's second pass (its admission plugins and the cluster's MutatingAdmissionPolicies run again on what the webhook changed, and the webhook again where they changed it) stores:\n\n")
	tw := tabwriter.NewWriter(b, 0, 4, 2, ' ', 0)
	_, _ = fmt.Fprintln(tw, "FIELD\tVALUE")
	for _, c := range changes {
		v := "(removed)"
		if c.Value != nil {
			v = *c.Value
		}
		_, _ = fmt.Fprintf(tw, "%s\t%s\n", c.Field, v)
	}
	return tw.Flush()
}

// secondPassSource is the source composer diff names for a field that the
// API server's second pass stores otherwise than the webhook composed it.
const secondPassSource = "the API server's second pass"

// secondPass is one side's composition of an object and what the API
// server stores of it (secondPassChanges' arguments).
type secondPass struct{ composed, stored any }

// secondPassDiff are the fields that the API server's second pass stores
// otherwise than the webhook composed them on either side, and whose
// stored value differs between base and head: a LimitRange's default on a
// sidecar a layer now injects, say, which no layer's provenance holds.
// Each is named as -o explain names it, its values those each side
// stores (nil: absent), sorted by field.
func secondPassDiff(base, head secondPass) ([]fieldChange, error) {
	fields := map[string]bool{}
	for _, side := range []secondPass{base, head} {
		changes, err := secondPassChanges(side.composed, side.stored)
		if err != nil {
			return nil, err
		}
		for _, c := range changes {
			fields[c.Field] = true
		}
	}
	if len(fields) == 0 {
		return nil, nil
	}
	var docs [2]any
	for i, side := range []secondPass{base, head} {
		var err error
		if docs[i], err = storedValues(side.stored); err != nil {
			return nil, err
		}
	}
	var out []fieldChange
	for _, field := range slices.Sorted(maps.Keys(fields)) {
		steps, err := parseStoredPath(field)
		if err != nil {
			return nil, fmt.Errorf("the second pass's field %s: %w", field, err)
		}
		var values [2]*string
		for i, doc := range docs {
			v, held, err := storedField(doc, steps)
			if err != nil {
				return nil, fmt.Errorf("the second pass's field %s: %w", field, err)
			}
			if held && v != nil {
				text := jsonText(v)
				values[i] = &text
			}
		}
		if !equalText(values[0], values[1]) {
			out = append(out, fieldChange{Field: field, Old: values[0], New: values[1], Layer: secondPassSource})
		}
	}
	return out, nil
}
