package app

import (
	oldrand "math/rand"
	"reflect"
	"regexp"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/randfill"

	"github.com/strata-dev/strata/pkg/policy"
	"github.com/strata-dev/strata/test/fixtures"
)

// protobufCodec encodes as the API server does, and decodes whole.
func protobufCodec(t testing.TB) (runtime.Encoder, runtime.Decoder, runtime.Decoder) {
	t.Helper()
	info, ok := runtime.SerializerInfoForMediaType(scheme.Codecs.SupportedMediaTypes(), runtime.ContentTypeProtobuf)
	if !ok {
		t.Fatal("no protobuf serializer")
	}
	pruner, err := newPodPruner()
	if err != nil {
		t.Fatal(err)
	}
	whole := scheme.Codecs.WithoutConversion()
	lean := leanPodSerializer{NegotiatedSerializer: whole, pruner: pruner}
	return whole.EncoderForVersion(info.Serializer, corev1.SchemeGroupVersion),
		whole.DecoderToVersion(info.Serializer, corev1.SchemeGroupVersion),
		lean.DecoderToVersion(info.Serializer, corev1.SchemeGroupVersion)
}

// roundTrip encodes obj as the API server does, and decodes it whole and
// with the lean decoder.
func roundTrip(t *testing.T, enc runtime.Encoder, whole, lean runtime.Decoder, obj runtime.Object) (full, got runtime.Object) {
	t.Helper()
	data, err := runtime.Encode(enc, obj)
	if err != nil {
		t.Fatal(err)
	}
	if full, err = runtime.Decode(whole, data); err != nil {
		t.Fatal(err)
	}
	if got, err = runtime.Decode(lean, data); err != nil {
		t.Fatal(err)
	}
	return full, got
}

// kept is what the pod watch keeps of pod: the fields of keptPodFields,
// and the one annotation the Reflector reads.
func kept(pod *corev1.Pod) *corev1.Pod {
	out := &corev1.Pod{}
	out.Name, out.Namespace, out.ResourceVersion, out.Labels = pod.Name, pod.Namespace, pod.ResourceVersion, pod.Labels
	if v, ok := pod.Annotations[keptAnnotation]; ok {
		out.Annotations = map[string]string{keptAnnotation: v}
	}
	keep := func(cs []corev1.Container) []corev1.Container {
		if cs == nil {
			return nil
		}
		out := make([]corev1.Container, len(cs))
		for i, c := range cs {
			out[i] = corev1.Container{Name: c.Name, Resources: c.Resources, RestartPolicy: c.RestartPolicy}
		}
		return out
	}
	out.Spec.Containers, out.Spec.InitContainers = keep(pod.Spec.Containers), keep(pod.Spec.InitContainers)
	out.Spec.Overhead, out.Spec.Resources = pod.Spec.Overhead, pod.Spec.Resources
	out.Status.Phase = pod.Status.Phase
	return out
}

// podFiller fills every field of a pod, quantities of every format, and
// sometimes the bookmark's annotation.
func podFiller(seed int64) *randfill.Filler {
	formats := []resource.Format{resource.DecimalSI, resource.BinarySI, resource.DecimalExponent}
	return randfill.New().NilChance(0.2).NumElements(0, 3).MaxDepth(8).RandSource(oldrand.NewSource(seed)).Funcs(
		func(q *resource.Quantity, c randfill.Continue) {
			*q = *resource.NewMilliQuantity(c.Int63n(1<<50), formats[c.Intn(len(formats))])
		},
		func(m *metav1.ObjectMeta, c randfill.Continue) {
			c.FillNoCustom(m)
			if c.Intn(3) == 0 {
				if m.Annotations == nil {
					m.Annotations = map[string]string{}
				}
				m.Annotations[keptAnnotation] = "true"
			}
			if c.Intn(2) == 0 && m.Labels != nil {
				m.Labels["spark-role"] = "executor"
			}
		},
		func(f *metav1.FieldsV1, c randfill.Continue) { f.SetRawString(`{"f:spec":{}}`) },
		func(r *runtime.RawExtension, c randfill.Continue) { r.Raw = []byte(`{}`) })
}

// TestLeanPodIsWhatQuotaReads decodes random pods, every field filled,
// as the API server encodes them: the lean decoder gives exactly the kept
// fields of the whole decoding, so quota counts the pod as it would the
// whole one.
func TestLeanPodIsWhatQuotaReads(t *testing.T) {
	enc, whole, lean := protobufCodec(t)
	fill := podFiller(11)
	executor := fixtures.Pod(t, "executor.yaml")
	bookmarks, restartable := 0, 0
	for i := range 500 {
		pod := executor.DeepCopy()
		if i > 0 {
			pod = &corev1.Pod{}
			fill.Fill(pod)
		}
		full, got := roundTrip(t, enc, whole, lean, pod)
		gotPod, ok := got.(*corev1.Pod)
		if !ok {
			t.Fatalf("case %d: decoded a %T", i, got)
		}
		fullPod := full.(*corev1.Pod)
		if want := kept(fullPod); !reflect.DeepEqual(gotPod, want) {
			t.Fatalf("case %d: decoded\n%+v\nwant\n%+v", i, gotPod, want)
		}
		if g, w := policy.LivePodOf(gotPod), policy.LivePodOf(fullPod); g != w {
			t.Fatalf("case %d: counts %+v, the whole pod %+v", i, g, w)
		}
		if policy.HoldsResources(gotPod) != policy.HoldsResources(fullPod) {
			t.Fatalf("case %d: holds resources %v", i, policy.HoldsResources(gotPod))
		}
		if gotPod.Annotations[keptAnnotation] != "" {
			bookmarks++
		}
		for _, c := range gotPod.Spec.InitContainers {
			if c.RestartPolicy != nil {
				restartable++
			}
		}
	}
	if bookmarks == 0 || restartable == 0 {
		t.Fatalf("the random pods never had the bookmark annotation (%d) or a restartable init container (%d)", bookmarks, restartable)
	}
}

// TestLeanPodList decodes a list of pods: its metadata whole, each pod's
// kept fields.
func TestLeanPodList(t *testing.T) {
	enc, whole, lean := protobufCodec(t)
	fill := podFiller(12)
	list := &corev1.PodList{ListMeta: metav1.ListMeta{ResourceVersion: "42", Continue: "next", RemainingItemCount: new(int64)}}
	*list.RemainingItemCount = 7
	for range 4 {
		var pod corev1.Pod
		fill.Fill(&pod)
		list.Items = append(list.Items, pod)
	}
	full, got := roundTrip(t, enc, whole, lean, list)
	want := &corev1.PodList{ListMeta: full.(*corev1.PodList).ListMeta}
	for i := range full.(*corev1.PodList).Items {
		want.Items = append(want.Items, *kept(&full.(*corev1.PodList).Items[i]))
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("decoded\n%+v\nwant\n%+v", got, want)
	}
}

// TestLeanPodDecoderLeavesTheRest: any other object, and a pod in JSON,
// are decoded whole.
func TestLeanPodDecoderLeavesTheRest(t *testing.T) {
	enc, _, lean := protobufCodec(t)
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "etl", Annotations: map[string]string{"a": "b"}}}
	status := &metav1.Status{Status: metav1.StatusFailure, Message: "too old", Code: 410, Reason: metav1.StatusReasonExpired}
	for _, obj := range []runtime.Object{ns, status} {
		data, err := runtime.Encode(enc, obj)
		if err != nil {
			t.Fatal(err)
		}
		got, err := runtime.Decode(lean, data)
		if err != nil {
			t.Fatal(err)
		}
		got.GetObjectKind().SetGroupVersionKind(obj.GetObjectKind().GroupVersionKind())
		if !reflect.DeepEqual(got, obj) {
			t.Errorf("decoded %+v, want %+v", got, obj)
		}
	}
	pod := fixtures.Pod(t, "executor.yaml")
	data, err := runtime.Encode(scheme.Codecs.LegacyCodec(corev1.SchemeGroupVersion), pod)
	if err != nil {
		t.Fatal(err)
	}
	info, _ := runtime.SerializerInfoForMediaType(scheme.Codecs.SupportedMediaTypes(), runtime.ContentTypeJSON)
	pruner, _ := newPodPruner()
	jsonLean := leanPodSerializer{NegotiatedSerializer: scheme.Codecs.WithoutConversion(), pruner: pruner}.
		DecoderToVersion(info.Serializer, corev1.SchemeGroupVersion)
	got, err := runtime.Decode(jsonLean, data)
	if err != nil {
		t.Fatal(err)
	}
	if got.(*corev1.Pod).Spec.Containers[0].Image != pod.Spec.Containers[0].Image {
		t.Error("a pod in JSON was not decoded whole")
	}
}

// TestLeanPodRefusesWhatIsNotProtobuf: a truncated or corrupt pod is an
// error, as it is to the whole decoding, never a pod missing its fields.
func TestLeanPodRefusesWhatIsNotProtobuf(t *testing.T) {
	enc, whole, lean := protobufCodec(t)
	data, err := runtime.Encode(enc, fixtures.Pod(t, "executor.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, cut := range []int{len(data) - 1, len(data) / 2, len(protobufPrefix) + 3} {
		if _, err := runtime.Decode(whole, data[:cut]); err == nil {
			continue // still a valid encoding of less: nothing to compare
		}
		if obj, err := runtime.Decode(lean, data[:cut]); err == nil {
			t.Errorf("cut at %d of %d: decoded %T, want an error", cut, len(data), obj)
		}
	}
}

// hugeExponent finds a decimal exponent of five digits or more.
var hugeExponent = regexp.MustCompile(`[eE][+-]?[0-9]{5}`)

// FuzzLeanPod: whatever the bytes, the lean decoder never panics and
// never gives another answer than the whole decoding. It may refuse an
// encoding the generated code reads and the API server never writes (a
// deprecated group, a tag of field 0 inside one): an error, which makes
// the watch list again, never a pod counted otherwise. Every pod the whole
// decoding reads, encoded again as the API server encodes it, it decodes.
func FuzzLeanPod(f *testing.F) {
	enc, whole, lean := protobufCodec(f)
	fill := podFiller(13)
	for i := range 8 {
		pod := &corev1.Pod{}
		if i == 0 {
			pod = fixtures.Pod(f, "executor.yaml")
		} else {
			fill.Fill(pod)
		}
		data, err := runtime.Encode(enc, pod)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if hugeExponent.Match(data) {
			// The whole decoding parses every quantity with
			// resource.ParseQuantity, which runs away on a huge exponent
			// (pkg/overlay/quantity). The API server writes the quantities
			// it parsed, canonical; the lean decoder parses those it keeps.
			return
		}
		got, lerr := runtime.Decode(lean, data)
		full, err := runtime.Decode(whole, data)
		if err != nil {
			return
		}
		fullPod, ok := full.(*corev1.Pod)
		if !ok {
			return
		}
		want := kept(fullPod)
		if lerr == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("decoded\n%+v\nwant\n%+v", got, want)
		}
		// Encoding is not the inverse of decoding for every value (a
		// quantity message without its string decodes to a zero of no
		// format and encodes as "0"), so the pod encoded again is held to
		// its own whole decoding.
		canonical, err := runtime.Encode(enc, fullPod)
		if err != nil {
			t.Fatal(err)
		}
		if full, err = runtime.Decode(whole, canonical); err != nil {
			t.Fatalf("the pod encoded again, decoded whole: %v", err)
		}
		want = kept(full.(*corev1.Pod))
		if got, err = runtime.Decode(lean, canonical); err != nil {
			t.Fatalf("the pod encoded again: %v", err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("the pod encoded again decoded\n%+v\nwant\n%+v", got, want)
		}
	})
}

// TestLeanPodRefusesMalformedMapEntries: the generated decoding of a map
// entry reads its key or value by the length prefix it finds, whatever
// the wire type, up to the end of the whole message rather than the
// entry's, so it reads into the fields after the entry. Pruning changes
// those, so the lean decoder refuses such an entry in every map it keeps
// (the API server never writes one) rather than count a pod otherwise.
func TestLeanPodRefusesMalformedMapEntries(t *testing.T) {
	_, whole, lean := protobufCodec(t)
	num := func(t reflect.Type, name string) protowire.Number {
		n, err := protoNumber(t, name)
		if err != nil {
			panic(err)
		}
		return n
	}
	meta, spec, container := reflect.TypeFor[metav1.ObjectMeta](), reflect.TypeFor[corev1.PodSpec](), reflect.TypeFor[corev1.Container]()
	resources := reflect.TypeFor[corev1.ResourceRequirements]()
	bytesField := func(b []byte, n protowire.Number, v []byte) []byte {
		return protowire.AppendBytes(protowire.AppendTag(b, n, protowire.BytesType), v)
	}
	// A key (or value) whose length prefix runs 9 bytes past its entry,
	// over the pruned field after it, and one written as a varint.
	overrun := func(field protowire.Number) []byte {
		return protowire.AppendVarint(protowire.AppendTag(nil, field, protowire.BytesType), 9)
	}
	varint := func(field protowire.Number, v uint64) []byte {
		return protowire.AppendVarint(protowire.AppendTag(nil, field, protowire.VarintType), v)
	}
	pruned := bytesField(nil, num(meta, "GenerateName"), []byte("gen-name"))
	withMeta := func(entries protowire.Number, entry []byte) []byte {
		m := bytesField(nil, num(meta, "Name"), []byte("exec-1"))
		m = bytesField(m, entries, entry)
		// After the pruned field, a kept one the entry would read instead.
		m = bytesField(append(m, pruned...), num(meta, "ResourceVersion"), []byte("1234567890"))
		return bytesField(nil, 1, m)
	}
	withContainer := func(field protowire.Number, entry []byte) []byte {
		// Fields of no name, skipped by the generated decoding and pruned;
		// the first, two bytes long, reads as a quantity.
		r := bytesField(append(bytesField(nil, field, entry), varint(15, 1)...), 14, []byte("pruned-unknown"))
		c := bytesField(nil, num(container, "Name"), []byte("spark"))
		c = bytesField(c, num(container, "Resources"), r)
		c = bytesField(c, num(container, "Image"), []byte("pruned:image"))
		return bytesField(nil, 2, bytesField(nil, num(spec, "Containers"), c))
	}
	withOverhead := func(entry []byte) []byte {
		s := bytesField(nil, num(spec, "Overhead"), entry)
		s = bytesField(s, num(spec, "ServiceAccountName"), []byte("pruned-sa"))
		s = bytesField(s, num(spec, "Containers"), bytesField(nil, num(container, "Name"), []byte("kept-container")))
		return bytesField(nil, 2, s)
	}
	cases := map[string][]byte{
		"label key runs past its entry":      withMeta(num(meta, "Labels"), overrun(1)),
		"label value runs past its entry":    withMeta(num(meta, "Labels"), append(bytesField(nil, 1, []byte("k")), overrun(2)...)),
		"label key is a varint":              withMeta(num(meta, "Labels"), varint(1, 9)),
		"annotation key runs past its entry": withMeta(num(meta, "Annotations"), overrun(1)),
		"annotation value is a varint":       withMeta(num(meta, "Annotations"), append(bytesField(nil, 1, []byte(keptAnnotation)), varint(2, 9)...)),
		"limit key runs past its entry":      withContainer(num(resources, "Limits"), overrun(1)),
		"request value is a varint":          withContainer(num(resources, "Requests"), append(bytesField(nil, 1, []byte("cpu")), varint(2, 2)...)),
		"overhead key runs past its entry":   withOverhead(overrun(1)),
	}
	for name, pod := range cases {
		t.Run(name, func(t *testing.T) {
			typeMeta := bytesField(bytesField(nil, 1, []byte("v1")), 2, []byte("Pod"))
			data := append([]byte(protobufPrefix), bytesField(bytesField(nil, 1, typeMeta), 2, pod)...)
			if _, err := runtime.Decode(whole, data); err != nil {
				t.Fatalf("the generated decoding refuses it (%v): the case tests nothing", err)
			}
			if obj, err := runtime.Decode(lean, data); err == nil {
				t.Errorf("decoded %+v, want an error", obj)
			}
		})
	}
}
