package app

import (
	"bytes"
	"encoding/json"
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// The Layer watch decodes each event in one pass over the Layer. A
// custom resource comes as JSON only, and client-go's decoders read each
// event's bytes many times: the frame, then the event envelope twice (its
// kind, then its fields, copying the object out), then the object twice
// (its kind, then its fields). That was most of what a Layer change cost
// the webhook.
//
// The API server writes each event as {"type":T,"object":O}: metav1's
// WatchEvent, encoded with its fields in that order, and O a custom
// resource's stored map, its keys sorted, so it starts with its
// apiVersion and kind. An event and a Layer of exactly that form are read
// here in one pass each, by decodeJSON, into the same types; anything
// else (a Status, another order, a list, JSON decodeJSON refuses) goes to
// the apimachinery decoders as before. TestLayerEventDecodesAsClientGo holds both ways to
// the same result.

// layerObjectPrefix is how the API server's encoding of a Layer begins.
const layerObjectPrefix = `{"apiVersion":"strata.dev/v1alpha1","kind":"Layer",`

// layerSerializer is a NegotiatedSerializer whose JSON decoders read
// watch events (layerEventDecoder) and Layers (layerDecoder) in one pass.
type layerSerializer struct {
	runtime.NegotiatedSerializer
	infos []runtime.SerializerInfo
}

// newLayerSerializer wraps next's JSON stream decoder and object decoder.
func newLayerSerializer(next runtime.NegotiatedSerializer) layerSerializer {
	infos := slices.Clone(next.SupportedMediaTypes())
	for i, info := range infos {
		if info.MediaType == runtime.ContentTypeJSON && info.StreamSerializer != nil {
			stream := *info.StreamSerializer
			stream.Serializer = layerEventDecoder{Serializer: stream.Serializer}
			infos[i].StreamSerializer = &stream
		}
	}
	return layerSerializer{NegotiatedSerializer: next, infos: infos}
}

// SupportedMediaTypes implements runtime.NegotiatedSerializer.
func (s layerSerializer) SupportedMediaTypes() []runtime.SerializerInfo { return s.infos }

// DecoderToVersion implements runtime.NegotiatedSerializer.
func (s layerSerializer) DecoderToVersion(d runtime.Decoder, gv runtime.GroupVersioner) runtime.Decoder {
	return layerDecoder{next: s.NegotiatedSerializer.DecoderToVersion(d, gv)}
}

// layerDecoder decodes a Layer of the API server's encoding in one pass;
// anything else with next.
type layerDecoder struct {
	next runtime.Decoder
}

var layerGVK = v1alpha1.GroupVersion.WithKind(v1alpha1.LayerKind)

// Decode implements runtime.Decoder.
func (d layerDecoder) Decode(data []byte, defaults *schema.GroupVersionKind, into runtime.Object) (runtime.Object, *schema.GroupVersionKind, error) {
	if into != nil || defaults != nil || !bytes.HasPrefix(data, []byte(layerObjectPrefix)) {
		return d.next.Decode(data, defaults, into)
	}
	l := &v1alpha1.Layer{}
	if err := decodeJSON(data, l); err != nil || l.GroupVersionKind() != layerGVK {
		// JSON decodeJSON refuses (a name twice), or a later apiVersion or
		// kind: whatever it says, the general way.
		return d.next.Decode(data, defaults, into)
	}
	// As the decoder without conversion leaves a typed object.
	l.TypeMeta = metav1.TypeMeta{}
	gvk := layerGVK
	return l, &gvk, nil
}

// layerEventDecoder decodes a watch event of the API server's encoding by
// finding its type and object; anything else with the Serializer.
type layerEventDecoder struct {
	runtime.Serializer
}

// Decode implements runtime.Decoder.
func (d layerEventDecoder) Decode(data []byte, defaults *schema.GroupVersionKind, into runtime.Object) (runtime.Object, *schema.GroupVersionKind, error) {
	event, ok := into.(*metav1.WatchEvent)
	if !ok || defaults != nil {
		return d.Serializer.Decode(data, defaults, into)
	}
	typ, object, ok := splitWatchEvent(data)
	if !ok {
		return d.Serializer.Decode(data, defaults, into)
	}
	event.Type = typ
	// As RawExtension decodes: null is no object; the bytes are copied
	// out of the frame, which the stream decoder reuses.
	event.Object = runtime.RawExtension{}
	if !bytes.Equal(object, []byte("null")) {
		event.Object.Raw = bytes.Clone(object)
	}
	return event, nil, nil
}

// splitWatchEvent returns the type and the object of
// {"type":"T","object":O}, where T is a plain word and O one JSON value
// and nothing else; ok is false for anything else.
func splitWatchEvent(data []byte) (typ string, object []byte, ok bool) {
	rest, ok := bytes.CutPrefix(data, []byte(`{"type":"`))
	if !ok {
		return "", nil, false
	}
	end := bytes.IndexByte(rest, '"')
	if end <= 0 {
		return "", nil, false
	}
	for _, c := range rest[:end] {
		if c < 'A' || c > 'Z' {
			return "", nil, false
		}
	}
	typ = string(rest[:end])
	if rest, ok = bytes.CutPrefix(rest[end+1:], []byte(`,"object":`)); !ok {
		return "", nil, false
	}
	// The object is all up to the closing brace only when it is one JSON
	// value: were another field after it, it would not be.
	const space = " \t\r\n" // JSON's
	if object, ok = bytes.CutSuffix(bytes.TrimRight(rest, space), []byte("}")); !ok {
		return "", nil, false
	}
	object = bytes.Trim(object, space)
	if !json.Valid(object) {
		return "", nil, false
	}
	return typ, object, true
}
