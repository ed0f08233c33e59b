package app

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"google.golang.org/protobuf/encoding/protowire"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// The pod watch decodes each pod of its protobuf stream to what quota
// reads of it (policy.LivePodOf, policy.HoldsResources) and what the
// Reflector reads (name, namespace, resourceVersion, the bookmark that ends
// a streamed list): a pod of a running cluster is mostly what nothing here
// reads (managedFields, env, probes, volumes, status conditions), and
// decoding it whole was the largest part of a watch event's cost.
//
// The encoding is pruned, then decoded by the generated code of
// k8s.io/api: only the choice of fields is Strata's, never how a field is
// decoded. The field numbers are read from the API types' protobuf tags.
// TestLeanPodIsWhatQuotaReads holds the result to the whole pod's on
// random pods: a field quota starts reading must be kept (newPodPruner),
// or quota counts the lean pod differently and that test fails.

// protobufPrefix starts every object the API server encodes as protobuf,
// before its runtime.Unknown envelope.
const protobufPrefix = "k8s\x00"

// keptAnnotation is the one annotation the watch keeps: the Reflector
// reads it on the bookmark that ends a streamed list.
const keptAnnotation = metav1.InitialEventsAnnotationKey

// message is what of one message type is kept.
type message struct {
	// kept are the kept fields by number, each with the message it is
	// pruned as (nil: kept as it is).
	kept map[protowire.Number]*message
	// maps are the kept fields that are maps, each entry checked before it
	// is kept (checkMapEntry).
	maps map[protowire.Number]bool
	// annotations, when set, is a map field of which only the entry whose
	// key is keptAnnotation is kept.
	annotations protowire.Number
}

// podPruner decodes pods of their protobuf encoding to their kept fields.
// Safe for concurrent use.
type podPruner struct {
	pod message
	// The fields of the envelope and of a list.
	unknownMeta, unknownRaw, apiVersion, kind, listMeta, listItems protowire.Number
}

// newPodPruner reads the field numbers of the kept fields from the API
// types' protobuf tags.
func newPodPruner() (*podPruner, error) {
	var errs []error
	n := func(t reflect.Type, name string) protowire.Number {
		num, err := protoNumber(t, name)
		errs = append(errs, err)
		return num
	}
	kept := func(t reflect.Type, names ...string) message {
		m := message{kept: map[protowire.Number]*message{}, maps: map[protowire.Number]bool{}}
		for _, name := range names {
			num := n(t, name)
			m.kept[num] = nil
			if f, ok := t.FieldByName(name); ok && f.Type.Kind() == reflect.Map {
				m.maps[num] = true
			}
		}
		return m
	}
	pod, meta, spec := reflect.TypeFor[corev1.Pod](), reflect.TypeFor[metav1.ObjectMeta](), reflect.TypeFor[corev1.PodSpec]()
	unknown, typeMeta, list := reflect.TypeFor[runtime.Unknown](), reflect.TypeFor[runtime.TypeMeta](), reflect.TypeFor[corev1.PodList]()
	objectMeta := kept(meta, "Name", "Namespace", "ResourceVersion", "Labels")
	objectMeta.annotations = n(meta, "Annotations")
	resources := kept(reflect.TypeFor[corev1.ResourceRequirements](), "Limits", "Requests", "Claims")
	container := kept(reflect.TypeFor[corev1.Container](), "Name", "RestartPolicy")
	container.kept[n(reflect.TypeFor[corev1.Container](), "Resources")] = &resources
	podSpec := kept(spec, "Overhead")
	podSpec.kept[n(spec, "Resources")] = &resources
	podSpec.kept[n(spec, "Containers")] = &container
	podSpec.kept[n(spec, "InitContainers")] = &container
	status := kept(reflect.TypeFor[corev1.PodStatus](), "Phase")
	p := &podPruner{
		pod:         message{kept: map[protowire.Number]*message{n(pod, "ObjectMeta"): &objectMeta, n(pod, "Spec"): &podSpec, n(pod, "Status"): &status}},
		unknownMeta: n(unknown, "TypeMeta"), unknownRaw: n(unknown, "Raw"),
		apiVersion: n(typeMeta, "APIVersion"), kind: n(typeMeta, "Kind"),
		listMeta: n(list, "ListMeta"), listItems: n(list, "Items"),
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("the pod watch's protobuf fields: %w", err)
	}
	return p, nil
}

// protoNumber is the field number in the protobuf tag of t's field name
// ("bytes,8,opt,name=resources").
func protoNumber(t reflect.Type, name string) (protowire.Number, error) {
	f, ok := t.FieldByName(name)
	if !ok {
		return 0, fmt.Errorf("%s has no field %s", t, name)
	}
	tag, ok := f.Tag.Lookup("protobuf")
	if !ok {
		return 0, fmt.Errorf("%s.%s has no protobuf tag", t, name)
	}
	parts := strings.Split(tag, ",")
	if len(parts) < 2 {
		return 0, fmt.Errorf("%s.%s: protobuf tag %q has no field number", t, name, tag)
	}
	num, err := strconv.Atoi(parts[1])
	if err != nil || !protowire.Number(num).IsValid() {
		return 0, fmt.Errorf("%s.%s: protobuf tag %q has no field number", t, name, tag)
	}
	return protowire.Number(num), nil
}

// Object decodes data, an object as the API server encodes it in
// protobuf (the prefix, then a runtime.Unknown), when it is a Pod or a
// PodList; ok is false for anything else, left to decode whole.
func (p *podPruner) Object(data []byte) (obj runtime.Object, gvk *schema.GroupVersionKind, ok bool, err error) {
	if len(data) < len(protobufPrefix) || string(data[:len(protobufPrefix)]) != protobufPrefix {
		return nil, nil, false, nil
	}
	body := data[len(protobufPrefix):]
	// A message field that comes more than once is the merge of its
	// occurrences, as the generated decoding reads it: each type meta's
	// fields are read in turn, the last of each field winning.
	var typeMetas [][]byte
	var raw []byte
	for b := body; len(b) > 0; {
		num, typ, value, rest, err := nextField(b)
		if err != nil {
			return nil, nil, false, fmt.Errorf("protobuf envelope: %w", err)
		}
		b = rest
		if typ != protowire.BytesType {
			continue
		}
		switch num {
		case p.unknownMeta:
			typeMetas = append(typeMetas, value)
		case p.unknownRaw:
			raw = value
		}
	}
	var apiVersion, kind string
	for _, typeMeta := range typeMetas {
		for b := typeMeta; len(b) > 0; {
			num, typ, value, rest, err := nextField(b)
			if err != nil {
				return nil, nil, false, fmt.Errorf("protobuf envelope: %w", err)
			}
			b = rest
			switch {
			case typ != protowire.BytesType:
			case num == p.apiVersion:
				apiVersion = string(value)
			case num == p.kind:
				kind = string(value)
			}
		}
	}
	if apiVersion != "v1" || (kind != "Pod" && kind != "PodList") {
		return nil, nil, false, nil
	}
	gvk = &schema.GroupVersionKind{Version: "v1", Kind: kind}
	if kind == "Pod" {
		pod, err := p.Pod(raw)
		return pod, gvk, true, err
	}
	list, err := p.PodList(raw)
	return list, gvk, true, err
}

// Pod decodes raw, a Pod's protobuf encoding, to its kept fields.
func (p *podPruner) Pod(raw []byte) (*corev1.Pod, error) {
	pruned, err := prune(make([]byte, 0, 512), raw, &p.pod)
	if err != nil {
		return nil, fmt.Errorf("pod: %w", err)
	}
	pod := &corev1.Pod{}
	if err := pod.Unmarshal(pruned); err != nil {
		return nil, fmt.Errorf("pod: %w", err)
	}
	return pod, nil
}

// PodList decodes raw, a PodList's protobuf encoding, to its list
// metadata and its pods' kept fields.
func (p *podPruner) PodList(raw []byte) (*corev1.PodList, error) {
	list := &corev1.PodList{}
	for b := raw; len(b) > 0; {
		num, typ, value, rest, err := nextField(b)
		if err != nil {
			return nil, fmt.Errorf("pod list: %w", err)
		}
		b = rest
		if typ != protowire.BytesType {
			continue
		}
		switch num {
		case p.listMeta:
			if err := list.ListMeta.Unmarshal(value); err != nil {
				return nil, fmt.Errorf("pod list metadata: %w", err)
			}
		case p.listItems:
			pod, err := p.Pod(value)
			if err != nil {
				return nil, fmt.Errorf("pod list item %d: %w", len(list.Items), err)
			}
			list.Items = append(list.Items, *pod)
		}
	}
	return list, nil
}

// prune appends to dst the fields of msg that m keeps, in the order they
// come, each pruned as m says.
func prune(dst, msg []byte, m *message) ([]byte, error) {
	for b := msg; len(b) > 0; {
		num, typ, value, rest, err := nextField(b)
		if err != nil {
			return nil, err
		}
		field := b[:len(b)-len(rest)]
		b = rest
		if m.annotations != 0 && num == m.annotations {
			if typ != protowire.BytesType {
				continue
			}
			key, err := mapEntryKey(value)
			if err != nil {
				return nil, fmt.Errorf("field %d: %w", num, err)
			}
			if string(key) == keptAnnotation {
				dst = append(dst, field...)
			}
			continue
		}
		if m.maps[num] && typ == protowire.BytesType {
			if _, err := mapEntryKey(value); err != nil {
				return nil, fmt.Errorf("field %d: %w", num, err)
			}
		}
		sub, kept := m.kept[num]
		switch {
		case !kept:
		case sub == nil || typ != protowire.BytesType:
			dst = append(dst, field...)
		default:
			// The pruned message is no longer than value: prune it after a
			// length prefix of len(value)'s size, then write its own size
			// there and move it back over what that size does not take.
			dst = protowire.AppendTag(dst, num, protowire.BytesType)
			at := len(dst)
			dst = protowire.AppendVarint(dst, uint64(len(value)))
			start := len(dst)
			if dst, err = prune(dst, value, sub); err != nil {
				return nil, err
			}
			size := len(dst) - start
			end := len(protowire.AppendVarint(dst[:at], uint64(size)))
			copy(dst[end:], dst[start:])
			dst = dst[:end+size]
		}
	}
	return dst, nil
}

// nextField splits b's first field off: its number, wire type and value
// (a length-delimited field's contents; the whole field for any other
// type), and the fields after it.
func nextField(b []byte) (protowire.Number, protowire.Type, []byte, []byte, error) {
	num, typ, n := protowire.ConsumeTag(b)
	if n < 0 {
		return 0, 0, nil, nil, protowire.ParseError(n)
	}
	m := protowire.ConsumeFieldValue(num, typ, b[n:])
	if m < 0 {
		return 0, 0, nil, nil, protowire.ParseError(m)
	}
	value := b[n : n+m]
	if typ == protowire.BytesType {
		v, k := protowire.ConsumeBytes(value)
		if k < 0 {
			return 0, 0, nil, nil, protowire.ParseError(k)
		}
		value = v
	}
	return num, typ, value, b[n+m:], nil
}

// mapEntryKey is the key (field 1; the last one, as decoding takes it) of
// an encoded map entry, empty when it has none. An entry whose key or value
// (field 2) is not length-delimited, or whose fields run past its end, is
// an error: the generated decoding of a map entry reads a key or value by
// its length prefix whatever its wire type, bounded by the end of the
// whole message rather than the entry's, so it would read into the fields
// after the entry, which pruning changes. The API server never writes
// such an entry.
func mapEntryKey(entry []byte) ([]byte, error) {
	var key []byte
	for b := entry; len(b) > 0; {
		num, typ, value, rest, err := nextField(b)
		if err != nil {
			return nil, fmt.Errorf("map entry: %w", err)
		}
		if (num == 1 || num == 2) && typ != protowire.BytesType {
			return nil, fmt.Errorf("map entry: field %d is of wire type %d, not length-delimited", num, typ)
		}
		if num == 1 {
			key = value
		}
		b = rest
	}
	return key, nil
}

// leanPodDecoder decodes pods and lists of pods of the protobuf encoding
// with pruner; anything else, and any other encoding, with next.
type leanPodDecoder struct {
	pruner *podPruner
	next   runtime.Decoder
}

// Decode implements runtime.Decoder.
func (d leanPodDecoder) Decode(data []byte, defaults *schema.GroupVersionKind, into runtime.Object) (runtime.Object, *schema.GroupVersionKind, error) {
	obj, gvk, ok, err := d.pruner.Object(data)
	if err != nil {
		return nil, nil, err
	}
	if !ok {
		return d.next.Decode(data, defaults, into)
	}
	return obj, gvk, nil
}

// leanPodSerializer is a NegotiatedSerializer whose decoders decode pods
// with a podPruner (leanPodDecoder).
type leanPodSerializer struct {
	runtime.NegotiatedSerializer
	pruner *podPruner
}

// DecoderToVersion implements runtime.NegotiatedSerializer.
func (s leanPodSerializer) DecoderToVersion(d runtime.Decoder, gv runtime.GroupVersioner) runtime.Decoder {
	return leanPodDecoder{pruner: s.pruner, next: s.NegotiatedSerializer.DecoderToVersion(d, gv)}
}
