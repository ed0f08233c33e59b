package app

import (
	"bytes"
	"encoding/json"
	"io"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/runtime/serializer/streaming"
	"k8s.io/apimachinery/pkg/watch"
	restclientwatch "k8s.io/client-go/rest/watch"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/strata-dev/strata/pkg/overlay/manifest"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
	"github.com/strata-dev/strata/test/fixtures"
)

// layerCodecs are the Layer watch's serializer and the one it wraps.
func layerCodecs(t testing.TB) (lean, general runtime.NegotiatedSerializer) {
	t.Helper()
	scheme, err := NewScheme()
	if err != nil {
		t.Fatal(err)
	}
	general = serializer.NewCodecFactory(scheme).WithoutConversion()
	return newLayerSerializer(general), general
}

// countingCodecs are a NegotiatedSerializer whose decoders count the
// objects and events they decode: the general way, which the one-pass
// decoders fall back to.
type countingCodecs struct {
	runtime.NegotiatedSerializer
	calls *int
}

type countingSerializer struct {
	runtime.Serializer
	calls *int
}

func (s countingSerializer) Decode(data []byte, defaults *schema.GroupVersionKind, into runtime.Object) (runtime.Object, *schema.GroupVersionKind, error) {
	*s.calls++
	return s.Serializer.Decode(data, defaults, into)
}

type countingDecoder struct {
	runtime.Decoder
	calls *int
}

func (d countingDecoder) Decode(data []byte, defaults *schema.GroupVersionKind, into runtime.Object) (runtime.Object, *schema.GroupVersionKind, error) {
	*d.calls++
	return d.Decoder.Decode(data, defaults, into)
}

func (c countingCodecs) SupportedMediaTypes() []runtime.SerializerInfo {
	infos := slices.Clone(c.NegotiatedSerializer.SupportedMediaTypes())
	for i := range infos {
		infos[i].Serializer = countingSerializer{infos[i].Serializer, c.calls}
		if s := infos[i].StreamSerializer; s != nil {
			stream := *s
			stream.Serializer = countingSerializer{stream.Serializer, c.calls}
			infos[i].StreamSerializer = &stream
		}
	}
	return infos
}

func (c countingCodecs) DecoderToVersion(d runtime.Decoder, gv runtime.GroupVersioner) runtime.Decoder {
	return countingDecoder{c.NegotiatedSerializer.DecoderToVersion(d, gv), c.calls}
}

// decodeEvent decodes one frame of a watch stream as client-go's REST
// client does with ns.
func decodeEvent(t testing.TB, ns runtime.NegotiatedSerializer, frame []byte) (watch.EventType, runtime.Object, error) {
	t.Helper()
	objects, stream, framer, err := runtime.NewClientNegotiator(ns, v1alpha1.GroupVersion).StreamDecoder(runtime.ContentTypeJSON, nil)
	if err != nil {
		t.Fatal(err)
	}
	events := streaming.NewDecoder(framer.NewFrameReader(io.NopCloser(bytes.NewReader(frame))), stream)
	return restclientwatch.NewDecoder(events, objects).Decode()
}

// apiServerEvent is how the API server writes an event of a Layer: the
// object as its stored map (keys sorted), in a WatchEvent.
func apiServerEvent(t testing.TB, typ watch.EventType, l *v1alpha1.Layer) []byte {
	t.Helper()
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(l)
	if err != nil {
		t.Fatal(err)
	}
	m["apiVersion"], m["kind"] = v1alpha1.GroupVersion.String(), v1alpha1.LayerKind
	object, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	frame, err := json.Marshal(metav1.WatchEvent{Type: string(typ), Object: runtime.RawExtension{Raw: object}})
	if err != nil {
		t.Fatal(err)
	}
	return append(frame, '\n')
}

// TestLayerEventDecodesAsClientGo: random Layers, every field filled, in
// the events the API server writes, decode in one pass (each event and
// each object takes the short way) to exactly what client-go's decoders
// give.
func TestLayerEventDecodesAsClientGo(t *testing.T) {
	_, general := layerCodecs(t)
	generalCalls := 0
	lean := newLayerSerializer(countingCodecs{general, &generalCalls})
	fill := podFiller(17)
	types := []watch.EventType{watch.Added, watch.Modified, watch.Deleted, watch.Bookmark}
	for i := range 300 {
		l := &v1alpha1.Layer{}
		fill.Fill(l)
		frame := apiServerEvent(t, types[i%len(types)], l)
		typ, object, ok := splitWatchEvent(bytes.TrimSpace(frame))
		if !ok || typ != string(types[i%len(types)]) || !bytes.HasPrefix(object, []byte(layerObjectPrefix)) {
			t.Fatalf("case %d: the event would not be read the short way: %.120s", i, frame)
		}
		wantType, want, err := decodeEvent(t, general, frame)
		if err != nil {
			t.Fatalf("case %d: client-go: %v", i, err)
		}
		gotType, got, err := decodeEvent(t, lean, frame)
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		if generalCalls != 0 {
			t.Fatalf("case %d: the event or its Layer went the general way (%d decodes)", i, generalCalls)
		}
		if gotType != wantType || !reflect.DeepEqual(got, want) {
			t.Fatalf("case %d: decoded %s\n%+v\nwant %s\n%+v", i, gotType, got, wantType, want)
		}
	}
}

// TestLayerEventOfAnotherFormDecodesAsClientGo: an event or an object not
// of the API server's usual form goes client-go's way, with its result
// or its error.
func TestLayerEventOfAnotherFormDecodesAsClientGo(t *testing.T) {
	lean, general := layerCodecs(t)
	layer := `{"apiVersion":"strata.dev/v1alpha1","kind":"Layer","metadata":{"name":"a","resourceVersion":"7"},"spec":{"tier":"ClusterDefaults"}}`
	status := `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too old resource version","reason":"Expired","code":410}`
	for name, frame := range map[string]string{
		"error status":                `{"type":"ERROR","object":` + status + `}`,
		"kind first":                  `{"type":"ADDED","object":{"kind":"Layer","apiVersion":"strata.dev/v1alpha1","metadata":{"name":"a"}}}`,
		"object first":                `{"object":` + layer + `,"type":"ADDED"}`,
		"spaces":                      `{ "type" : "ADDED" , "object" : ` + layer + ` }`,
		"space around the object":     `{"type":"ADDED","object": ` + layer + " \n}",
		"a field after the object":    `{"type":"ADDED","object":` + layer + `,"extra":{}}`,
		"the type again after":        `{"type":"ADDED","object":` + layer + `,"type":"DELETED"}`,
		"an escaped type":             `{"type":"ADD\u0045D","object":` + layer + `}`,
		"an unknown type":             `{"type":"RENAMED","object":` + layer + `}`,
		"a lower-case type":           `{"type":"added","object":` + layer + `}`,
		"a null object":               `{"type":"ADDED","object":null}`,
		"the kind again later":        `{"type":"ADDED","object":{"apiVersion":"strata.dev/v1alpha1","kind":"Layer","metadata":{"name":"a"},"kind":"Status"}}`,
		"another version later":       `{"type":"ADDED","object":{"apiVersion":"strata.dev/v1alpha1","kind":"Layer","apiVersion":"v1"}}`,
		"a field of the wrong type":   `{"type":"ADDED","object":{"apiVersion":"strata.dev/v1alpha1","kind":"Layer","spec":5}}`,
		"a bookmark":                  `{"type":"BOOKMARK","object":{"apiVersion":"strata.dev/v1alpha1","kind":"Layer","metadata":{"annotations":{"k8s.io/initial-events-end":"true"},"resourceVersion":"42"}}}`,
		"an unknown field":            `{"type":"ADDED","object":{"apiVersion":"strata.dev/v1alpha1","kind":"Layer","spec":{"tier":"ClusterDefaults","surprise":1}}}`,
		"a case variant of the field": `{"type":"ADDED","object":{"apiVersion":"strata.dev/v1alpha1","kind":"Layer","Spec":{"tier":"ClusterDefaults"}}}`,
		"an object not a Layer":       `{"type":"ADDED","object":{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"}}}`,
		"not an object":               `{"type":"ADDED","object":[1,2]}`,
	} {
		t.Run(name, func(t *testing.T) {
			wantType, want, wantErr := decodeEvent(t, general, []byte(frame))
			gotType, got, gotErr := decodeEvent(t, lean, []byte(frame))
			if (gotErr == nil) != (wantErr == nil) || gotType != wantType || !reflect.DeepEqual(got, want) {
				t.Fatalf("decoded %s %+v (%v), client-go %s %+v (%v)", gotType, got, gotErr, wantType, want, wantErr)
			}
		})
	}
}

// TestLayerDecodedIntoAnObject: asked to decode into an object, the
// Layer decoder fills that object, as the general decoder does.
func TestLayerDecodedIntoAnObject(t *testing.T) {
	lean, general := layerCodecs(t)
	data := []byte(`{"apiVersion":"strata.dev/v1alpha1","kind":"Layer","metadata":{"name":"a"},"spec":{"tier":"ClusterDefaults"}}`)
	var want runtime.Object
	for name, ns := range map[string]runtime.NegotiatedSerializer{"general": general, "lean": lean} {
		info, ok := runtime.SerializerInfoForMediaType(ns.SupportedMediaTypes(), runtime.ContentTypeJSON)
		if !ok {
			t.Fatalf("%s: no JSON serializer", name)
		}
		into := &v1alpha1.Layer{}
		got, _, err := ns.DecoderToVersion(info.Serializer, v1alpha1.GroupVersion).Decode(data, nil, into)
		if err != nil || got != into {
			t.Fatalf("%s: decoded %p (%v), not into %p", name, got, err, into)
		}
		if want == nil {
			want = got
		} else if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: %+v, want %+v", name, got, want)
		}
	}
}

// TestSplitWatchEvent: the event is split only when it is exactly
// {"type":"T","object":O}, O one JSON value.
func TestSplitWatchEvent(t *testing.T) {
	for frame, want := range map[string]string{
		`{"type":"ADDED","object":{"a":1}}`:           `ADDED {"a":1}`,
		`{"type":"ZAP","object":{}}`:                  `ZAP {}`,
		`{"type":"ERROR","object":{"a":"}"}}`:         `ERROR {"a":"}"}`,
		`{"type":"ADDED","object": {"a":1} }`:         `ADDED {"a":1}`,
		`{"type":"ADDED","object":{"a":1},"b":{}}`:    ``,
		`{"type":"ADDED","object":{"a":1}`:            ``,
		`{"type":"","object":{}}`:                     ``,
		`{"type":"ADDED"}`:                            ``,
		`{"type":"ADDED","object":}`:                  ``,
		`{"type":"A\"B","object":{}}`:                 ``,
		`{"type":"ADDED","type":"X","object":{}}`:     ``,
		`{"type":"ADDED","object":{}} trailing`:       ``,
		`{"type":"ADDED","object":{"x":"\u007d"}}`:    `ADDED {"x":"\u007d"}`,
		`{"type":"BOOKMARK","object":{"a":[1,{}]} } `: `BOOKMARK {"a":[1,{}]}`,
	} {
		typ, object, ok := splitWatchEvent([]byte(frame))
		got := ""
		if ok {
			got = typ + " " + string(object)
		}
		if got != want {
			t.Errorf("%s: split to %q, want %q", frame, got, want)
		}
	}
}

// FuzzLayerWatchEvent: whatever the frame, the Layer watch decodes it as
// client-go does, to the same event or an error where it errs. The one
// difference allowed is a later key that differs from apiVersion or kind
// only in case, which the API server never writes (it prunes a custom
// resource to its schema) and client-go's first look reads.
func FuzzLayerWatchEvent(f *testing.F) {
	lean, general := layerCodecs(f)
	l := teamLayer()
	f.Add(apiServerEvent(f, watch.Added, &l))
	f.Add([]byte(`{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","status":"Failure","code":410}}`))
	f.Add([]byte(`{"type":"ADDED","object":{"apiVersion":"strata.dev/v1alpha1","kind":"Layer","spec":{"match":{"namespaces":["a"]}}}}`))
	f.Fuzz(func(t *testing.T, frame []byte) {
		gotType, got, gotErr := decodeEvent(t, lean, frame)
		wantType, want, wantErr := decodeEvent(t, general, frame)
		if (gotErr == nil) != (wantErr == nil) || gotType != wantType || !reflect.DeepEqual(got, want) {
			if caseVariantOfTypeMeta(frame) {
				return
			}
			t.Fatalf("decoded %s %+v (%v), client-go %s %+v (%v)", gotType, got, gotErr, wantType, want, wantErr)
		}
	})
}

// caseVariantOfTypeMeta reports whether frame holds a key that is
// apiVersion or kind in another case.
func caseVariantOfTypeMeta(frame []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(frame))
	for {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		if s, ok := tok.(string); ok {
			for _, key := range []string{"apiVersion", "kind"} {
				if s != key && strings.EqualFold(s, key) {
					return true
				}
			}
		}
	}
}

// BenchmarkDecodeLayerEvent decodes one watch event of a Layer as the API
// server writes it: the largest of the example Layers, with the metadata
// the API server adds and the managedFields of the GitOps tool that
// applied it. "client-go" is client-go's decoding, "lean" the Layer
// watch's (layerSerializer).
func BenchmarkDecodeLayerEvent(b *testing.B) {
	in, err := manifest.LoadRepo(filesys.MakeFsOnDisk(), filepath.Join(fixtures.Examples(), "layers", "clusters", "prod-a"))
	if err != nil {
		b.Fatal(err)
	}
	var frame []byte
	for i := range in.Layers {
		l := in.Layers[i].Layer.DeepCopy()
		l.UID, l.ResourceVersion, l.Generation = "6b1f1a5e-2f0c-4d3e-9a4b-0c6f2d1e7a90", "123456", 1
		l.CreationTimestamp = metav1.Now()
		spec, err := runtime.DefaultUnstructuredConverter.ToUnstructured(&l.Spec)
		if err != nil {
			b.Fatal(err)
		}
		fields, err := json.Marshal(map[string]any{"f:spec": fieldSet(spec)})
		if err != nil {
			b.Fatal(err)
		}
		l.ManagedFields = []metav1.ManagedFieldsEntry{{Manager: "argocd-controller", Operation: metav1.ManagedFieldsOperationApply,
			APIVersion: v1alpha1.GroupVersion.String(), FieldsType: "FieldsV1", Time: &l.CreationTimestamp,
			FieldsV1: &metav1.FieldsV1{}}}
		l.ManagedFields[0].FieldsV1.SetRawBytes(fields)
		if f := apiServerEvent(b, watch.Added, l); len(f) > len(frame) {
			frame = f
		}
	}
	lean, general := layerCodecs(b)
	for _, c := range []struct {
		name string
		ns   runtime.NegotiatedSerializer
	}{{"client-go", general}, {"lean", lean}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(frame)))
			for b.Loop() {
				if _, obj, err := decodeEvent(b, c.ns, frame); err != nil || obj.(*v1alpha1.Layer).Name == "" {
					b.Fatal(obj, err)
				}
			}
		})
	}
}

// fieldSet is the managedFields set of the fields of v (an object of
// unstructured content): each key as "f:key", each list as a whole.
func fieldSet(v any) any {
	m, ok := v.(map[string]any)
	if !ok {
		return map[string]any{}
	}
	out := map[string]any{".": map[string]any{}}
	for k, e := range m {
		out["f:"+k] = fieldSet(e)
	}
	return out
}
