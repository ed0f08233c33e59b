// Command crd-items completes the CRDs controller-gen writes: a field marked
// schemaless with type array gets items of type object that keep their
// fields (x-kubernetes-preserve-unknown-fields), which a structural schema
// requires and controller-gen cannot express. It rewrites the files given
// as arguments in place.
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
	n := 0
	for i := range crd.Spec.Versions {
		if s := crd.Spec.Versions[i].Schema; s != nil && s.OpenAPIV3Schema != nil {
			n += addItems(s.OpenAPIV3Schema)
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
	fmt.Fprintf(os.Stderr, "crd-items: %s: %d schemaless arrays given object items\n", file, n)
	return nil
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
