// Command crd-items completes the CRDs controller-gen writes, with what
// controller-gen cannot express. It rewrites the files given as arguments
// in place:
//
//   - a field marked schemaless with type array gets items of type object
//     that keep their fields (x-kubernetes-preserve-unknown-fields), which a
//     structural schema requires;
//   - a resource quantity (controller-gen's pattern for resource.Quantity)
//     gets one that bounds its decimal exponent to two digits, and a
//     maxLength of 64: the API server stores a custom resource's quantity
//     as written, unparsed, and resource.Quantity takes minutes to parse or
//     compare one of a huge exponent ("1e-999999999"; pkg/overlay/quantity),
//     which the webhook would do on every Layer event.
package main

import (
	"fmt"
	"os"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"
)

func main() {
	for _, file := range os.Args[1:] {
		if err := fix(file); err != nil {
			fmt.Fprintf(os.Stderr, "crd-items: %s: %v\n", file, err)
			os.Exit(1)
		}
	}
}

func fix(file string) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	var crd apiextensionsv1.CustomResourceDefinition
	if err := yaml.UnmarshalStrict(data, &crd); err != nil {
		return err
	}
	n, q := 0, 0
	for i := range crd.Spec.Versions {
		if s := crd.Spec.Versions[i].Schema; s != nil && s.OpenAPIV3Schema != nil {
			n += addItems(s.OpenAPIV3Schema)
			m, err := boundQuantities(s.OpenAPIV3Schema)
			if err != nil {
				return err
			}
			q += m
		}
	}
	out, err := yaml.Marshal(&crd)
	if err != nil {
		return err
	}
	// Keep controller-gen's document start and drop the empty status.
	out = append([]byte("---\n"), out...)
	if err := os.WriteFile(file, trimStatus(out), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "crd-items: %s: %d schemaless arrays given object items, %d quantities bounded\n", file, n, q)
	return nil
}

// quantityPattern is controller-gen's pattern for a resource.Quantity, and
// boundedQuantityPattern the same with a decimal exponent of at most two
// digits.
const (
	quantityPattern        = `^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$`
	boundedQuantityPattern = `^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?[0-9]{1,2}))?$`
	quantityMaxLength      = 64
)

// boundQuantities gives every quantity of s and its fields the bounded
// pattern and the maxLength, and counts them. An int-or-string of another
// pattern is an error: controller-gen's pattern for quantities changed, and
// quantities would go unbounded.
func boundQuantities(s *apiextensionsv1.JSONSchemaProps) (int, error) {
	n := 0
	if s.XIntOrString && s.Pattern != "" {
		if s.Pattern != quantityPattern && s.Pattern != boundedQuantityPattern {
			return 0, fmt.Errorf("an int-or-string of pattern %q, not a quantity's as this command knows it", s.Pattern)
		}
		s.Pattern, s.MaxLength = boundedQuantityPattern, ptr(int64(quantityMaxLength))
		n++
	}
	var children []*apiextensionsv1.JSONSchemaProps
	for k := range s.Properties {
		p := s.Properties[k]
		children = append(children, &p)
		defer func() { s.Properties[k] = p }()
	}
	if s.Items != nil && s.Items.Schema != nil {
		children = append(children, s.Items.Schema)
	}
	if s.AdditionalProperties != nil && s.AdditionalProperties.Schema != nil {
		children = append(children, s.AdditionalProperties.Schema)
	}
	for _, c := range children {
		m, err := boundQuantities(c)
		if err != nil {
			return 0, err
		}
		n += m
	}
	return n, nil
}

func addItems(s *apiextensionsv1.JSONSchemaProps) int {
	n := 0
	if s.Type == "array" && s.Items == nil {
		s.Items = &apiextensionsv1.JSONSchemaPropsOrArray{Schema: &apiextensionsv1.JSONSchemaProps{
			Type: "object", XPreserveUnknownFields: ptr(true),
		}}
		n++
	}
	for k, p := range s.Properties {
		n += addItems(&p)
		s.Properties[k] = p
	}
	if s.Items != nil && s.Items.Schema != nil {
		n += addItems(s.Items.Schema)
	}
	if s.AdditionalProperties != nil && s.AdditionalProperties.Schema != nil {
		n += addItems(s.AdditionalProperties.Schema)
	}
	return n
}

func ptr[T any](v T) *T { return &v }

// trimStatus removes the status stanza yaml.Marshal writes for the CRD type
// (controller-gen leaves it out).
func trimStatus(b []byte) []byte {
	const status = "status:\n  acceptedNames:\n    kind: \"\"\n    plural: \"\"\n  conditions: null\n  storedVersions: null\n"
	if i := len(b) - len(status); i >= 0 && string(b[i:]) == status {
		return b[:i]
	}
	return b
}
