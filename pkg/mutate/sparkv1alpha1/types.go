package sparkv1alpha1

import (
	"bytes"
	stdjson "encoding/json"
	"errors"
	"fmt"
	"reflect"

	corev1 "k8s.io/api/core/v1"
	json "sigs.k8s.io/json"

	"github.com/strata-dev/strata/pkg/mutate/sparkv1beta2"
	"github.com/strata-dev/strata/pkg/overlay/jsonfield"
)

// The identity of SparkConnect.
const (
	APIVersion = "sparkoperator.k8s.io/v1alpha1"
	Kind       = "SparkConnect"
)

// SparkConnect is the part of a SparkConnect Strata reads and writes: what
// the Spark Operator turns into the server's Spark configuration
// (internal/controller/sparkconnect, buildStartConnectServerArgs).
type SparkConnect struct {
	Metadata Metadata `json:"metadata"`
	Spec     Spec     `json:"spec"`
}

// Metadata is the part of a SparkConnect's metadata Strata reads.
type Metadata struct {
	Name      string `json:"name"`
	Namespace string `json:"namespace"`
}

// Spec is the part of SparkConnectSpec Strata reads and writes.
type Spec struct {
	Image      *string           `json:"image,omitempty"`
	SparkConf  map[string]string `json:"sparkConf,omitempty"`
	HadoopConf map[string]string `json:"hadoopConf,omitempty"`
	Server     PodSpec           `json:"server"`
	Executor   PodSpec           `json:"executor"`
	// DynamicAllocation has the fields of the SparkApplication's.
	DynamicAllocation *sparkv1beta2.DynamicAllocation `json:"dynamicAllocation,omitempty"`
}

// PodSpec is spec.server or spec.executor (instances only in the
// executor's).
type PodSpec struct {
	Cores     *int32  `json:"cores,omitempty"`
	Memory    *string `json:"memory,omitempty"`
	Instances *int32  `json:"instances,omitempty"`
	// Template is the section's pod template: the server's pod, or what
	// Spark starts each executor's from.
	Template *corev1.PodTemplateSpec `json:"template,omitempty"`
	// Service is the server's Service as written (the server's section
	// only): the operator creates it in the SparkConnect's namespace with
	// its own credentials, its name and the ports and selector of its own
	// aside. Strata reads it and never writes it.
	Service *corev1.Service `json:"service,omitempty"`
}

// Decode decodes a SparkConnect as JSON values (numbers as written, every
// field kept) and as the typed view, its field names as case-sensitive as
// the API server reads them. A field Strata reads with a value of the
// wrong type is an error naming the field.
func Decode(data []byte) (map[string]any, *SparkConnect, error) {
	dec := stdjson.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var raw map[string]any
	if err := dec.Decode(&raw); err != nil {
		return nil, nil, fmt.Errorf("decoding a SparkConnect: %w", err)
	}
	if raw == nil {
		return nil, nil, errors.New("a SparkConnect must be a JSON object")
	}
	// Read from the values, not from data: a key written twice is its
	// last value in both (decoding data into a struct would merge the
	// two objects of a key written twice).
	canonical, err := stdjson.Marshal(raw)
	if err != nil {
		return nil, nil, fmt.Errorf("decoding a SparkConnect: %w", err)
	}
	c := &SparkConnect{}
	if err := json.UnmarshalCaseSensitivePreserveInts(canonical, c); err != nil {
		if field, why, ok := jsonfield.Refused(canonical, reflect.TypeFor[SparkConnect](), err); ok {
			return nil, nil, fmt.Errorf("SparkConnect %s: %s", field, why)
		}
		return nil, nil, fmt.Errorf("decoding a SparkConnect: %w", err)
	}
	return raw, c, nil
}
