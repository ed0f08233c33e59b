package overlay

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	psadmission "k8s.io/pod-security-admission/admission/api"
)

// notFromACluster are the fields of Inputs no cluster's list gives: what
// the API server's own configuration and a repository's files hold.
var notFromACluster = map[string]bool{
	"PriorityClassesPartial":  true, // the dry run's knowledge of what it lacks
	"Admission":               true, // the API server's flags and files, not an object
	"MutatingPolicies.Params": true, // objects of any kind a policy names, from files
}

// inputLists calls f with each list field of in that a cluster's objects
// fill, by its path ("MutatingPolicies.Bindings"), in Inputs' order.
func inputLists(t *testing.T, in *Inputs, f func(path string, list reflect.Value)) {
	t.Helper()
	var walk func(prefix string, v reflect.Value)
	walk = func(prefix string, v reflect.Value) {
		for i := range v.NumField() {
			path := prefix + v.Type().Field(i).Name
			switch field := v.Field(i); {
			case notFromACluster[path]:
			case field.Kind() == reflect.Slice:
				f(path, field)
			case field.Kind() == reflect.Struct:
				walk(path+".", field)
			default:
				t.Errorf("Inputs.%s: a %s; say in notFromACluster why no cluster's list gives it, or read it in clusterLists", path, field.Kind())
			}
		}
	}
	walk("", reflect.ValueOf(in).Elem())
}

// objectMeta is the metadata of a list's element, a Layer's for a
// LayerSource.
func objectMeta(t *testing.T, elem reflect.Value) metav1.Object {
	t.Helper()
	if src, ok := elem.Addr().Interface().(*LayerSource); ok {
		return &src.Layer
	}
	obj, ok := elem.Addr().Interface().(metav1.Object)
	if !ok {
		t.Fatalf("a %s has no metadata", elem.Type())
	}
	return obj
}

// fillList gives the list one object named name, in namespace ns.
func fillList(t *testing.T, list ObjectList, ns, name string) {
	t.Helper()
	items := reflect.ValueOf(list).Elem().FieldByName("Items")
	items.Set(reflect.MakeSlice(items.Type(), 1, 1))
	obj := objectMeta(t, items.Index(0))
	obj.SetNamespace(ns)
	obj.SetName(name)
}

// Every list a cluster's objects fill is read, so a kind added to Inputs
// and forgotten here fails this test, not a dry run that quietly reads
// less than the webhook.
func TestReadClusterReadsEveryKind(t *testing.T) {
	var listed []string
	in, err := ReadCluster(func(list ObjectList) error {
		listed = append(listed, reflect.TypeOf(list).Elem().Name())
		fillList(t, list, "etl", "one")
		return nil
	}, ClusterParts{Layers: true, MutatingPolicies: true})
	if err != nil {
		t.Fatal(err)
	}
	inputLists(t, &in, func(path string, list reflect.Value) {
		if list.Len() != 1 {
			t.Errorf("Inputs.%s: %d objects read, want the one listed (listed: %s)", path, list.Len(), strings.Join(listed, ", "))
			return
		}
		if name := objectMeta(t, list.Index(0)).GetName(); name != "one" {
			t.Errorf("Inputs.%s: read %q, want %q", path, name, "one")
		}
	})
}

func TestReadClusterParts(t *testing.T) {
	listed := map[string]bool{}
	in, err := ReadCluster(func(list ObjectList) error {
		listed[reflect.TypeOf(list).Elem().Name()] = true
		fillList(t, list, "", "one")
		return nil
	}, ClusterParts{})
	if err != nil {
		t.Fatal(err)
	}
	for _, kind := range []string{"LayerList", "MutatingAdmissionPolicyList", "MutatingAdmissionPolicyBindingList"} {
		if listed[kind] {
			t.Errorf("%s listed, not asked for", kind)
		}
	}
	if len(in.Layers) != 0 || len(in.MutatingPolicies.Policies) != 0 || len(in.MutatingPolicies.Bindings) != 0 {
		t.Errorf("read what was not asked for: %d Layers, %d MutatingAdmissionPolicies, %d bindings",
			len(in.Layers), len(in.MutatingPolicies.Policies), len(in.MutatingPolicies.Bindings))
	}
	if len(in.Namespaces) != 1 || len(in.ResourceQuotas) != 1 {
		t.Errorf("read %d Namespaces and %d ResourceQuotas, want one each", len(in.Namespaces), len(in.ResourceQuotas))
	}
}

func TestReadClusterErrors(t *testing.T) {
	noMatch := &meta.NoKindMatchError{GroupKind: schema.GroupKind{Group: "admissionregistration.k8s.io", Kind: "MutatingAdmissionPolicy"}}
	notFound := apierrors.NewNotFound(schema.GroupResource{Group: "admissionregistration.k8s.io", Resource: "mutatingadmissionpolicybindings"}, "")
	denied := apierrors.NewForbidden(schema.GroupResource{Resource: "namespaces"}, "", errors.New("no RBAC"))
	for _, tc := range []struct {
		name    string
		failing string // the list type that fails
		err     error
		want    string // "" for no error
	}{
		{"unserved mutating policies are none", "MutatingAdmissionPolicyList", noMatch, ""},
		{"unserved mutating policy bindings are none", "MutatingAdmissionPolicyBindingList", notFound, ""},
		{"namespaces unreadable", "NamespaceList", denied, "listing Namespaces: "},
		{"namespaces unserved is an error", "NamespaceList", noMatch, "listing Namespaces: "},
		{"mutating policies unreadable", "MutatingAdmissionPolicyList", denied, "listing MutatingAdmissionPolicies: "},
		{"layers unreadable", "LayerList", denied, "listing Layers: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in, err := ReadCluster(func(list ObjectList) error {
				if reflect.TypeOf(list).Elem().Name() == tc.failing {
					return tc.err
				}
				fillList(t, list, "", "one")
				return nil
			}, ClusterParts{Layers: true, MutatingPolicies: true})
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("error %v, want none", err)
			case tc.want == "":
				if len(in.Namespaces) != 1 {
					t.Errorf("%d Namespaces read, want 1", len(in.Namespaces))
				}
			case err == nil || !strings.HasPrefix(err.Error(), tc.want) || !errors.Is(err, tc.err):
				t.Errorf("error %v, want %q wrapping %v", err, tc.want, tc.err)
			}
		})
	}
}

// Each list of more replaces in's object of the same identity where it
// stood and adds the others after in's, for every list a cluster's objects
// fill: a kind added to Inputs and forgotten in And fails here.
func TestInputsAnd(t *testing.T) {
	var in, more Inputs
	named := func(t *testing.T, list reflect.Value, names ...string) {
		list.Set(reflect.MakeSlice(list.Type(), len(names), len(names)))
		for i, n := range names {
			obj := objectMeta(t, list.Index(i))
			obj.SetNamespace("etl")
			obj.SetName(strings.TrimSuffix(n, "'"))
			if strings.HasSuffix(n, "'") {
				obj.SetLabels(map[string]string{"from": "more"})
			}
		}
	}
	inputLists(t, &in, func(_ string, list reflect.Value) { named(t, list, "a", "b") })
	inputLists(t, &more, func(_ string, list reflect.Value) { named(t, list, "b'", "c") })
	merged := in.And(more)
	inputLists(t, &merged, func(path string, list reflect.Value) {
		var names []string
		for i := range list.Len() {
			obj := objectMeta(t, list.Index(i))
			names = append(names, obj.GetName()+map[bool]string{true: "'"}[obj.GetLabels()["from"] == "more"])
		}
		if got := strings.Join(names, " "); got != "a b' c" {
			t.Errorf("Inputs.%s: %q, want %q", path, got, "a b' c")
		}
	})
	// Two of one name on one side both stay, for Compile to report.
	layers := func(names ...string) []LayerSource {
		out := make([]LayerSource, len(names))
		for i, n := range names {
			out[i].Layer.Name, out[i].File = strings.TrimSuffix(n, "'"), n
		}
		return out
	}
	var files []string
	for _, l := range (Inputs{Layers: layers("x", "x")}).And(Inputs{Layers: layers("x'", "y", "y'")}).Layers {
		files = append(files, l.File)
	}
	if want := "x x' y y'"; strings.Join(files, " ") != want {
		t.Errorf("Layers: %q, want %q", strings.Join(files, " "), want)
	}
	// A param's identity is its kind, namespace and name.
	param := func(kind, name, from string) unstructured.Unstructured {
		u := unstructured.Unstructured{}
		u.SetAPIVersion("v1")
		u.SetKind(kind)
		u.SetNamespace("etl")
		u.SetName(name)
		u.SetLabels(map[string]string{"from": from})
		return u
	}
	params := Inputs{MutatingPolicies: MutatingPolicies{Params: []unstructured.Unstructured{param("ConfigMap", "a", "in"), param("ConfigMap", "b", "in")}}}.
		And(Inputs{MutatingPolicies: MutatingPolicies{Params: []unstructured.Unstructured{param("ConfigMap", "b", "more"), param("Secret", "b", "more")}}}).
		MutatingPolicies.Params
	var got []string
	for _, p := range params {
		got = append(got, p.GetKind()+"/"+p.GetName()+"/"+p.GetLabels()["from"])
	}
	if want := "ConfigMap/a/in ConfigMap/b/more Secret/b/more"; strings.Join(got, " ") != want {
		t.Errorf("MutatingPolicies.Params: %q, want %q", strings.Join(got, " "), want)
	}
	// in is left as it was.
	inputLists(t, &in, func(path string, list reflect.Value) {
		if list.Len() != 2 || objectMeta(t, list.Index(1)).GetLabels() != nil {
			t.Errorf("Inputs.%s of the receiver changed", path)
		}
	})
}

func TestInputsAndAdmission(t *testing.T) {
	restricted := Admission{PodSecurity: &psadmission.PodSecurityConfiguration{Defaults: psadmission.PodSecurityDefaults{Enforce: "restricted"}}}
	baseline := Admission{PodSecurity: &psadmission.PodSecurityConfiguration{Defaults: psadmission.PodSecurityDefaults{Enforce: "baseline"}}}
	for _, tc := range []struct {
		name          string
		in, more      Inputs
		want          string
		wantPartial   bool
		wantNamespace int
	}{
		{"more's configuration replaces in's", Inputs{Admission: restricted}, Inputs{Admission: baseline}, "baseline", false, 0},
		{"more without one keeps in's", Inputs{Admission: restricted}, Inputs{Namespaces: []corev1.Namespace{{}}}, "restricted", false, 1},
		{"partial in either is partial", Inputs{PriorityClassesPartial: true}, Inputs{}, "", true, 0},
		{"partial in more is partial", Inputs{}, Inputs{PriorityClassesPartial: true}, "", true, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.in.And(tc.more)
			enforce := ""
			if got.PodSecurity != nil {
				enforce = got.PodSecurity.Defaults.Enforce
			}
			if enforce != tc.want || got.PriorityClassesPartial != tc.wantPartial || len(got.Namespaces) != tc.wantNamespace {
				t.Errorf("enforce %q, partial %v, %d namespaces; want %q, %v, %d", enforce, got.PriorityClassesPartial, len(got.Namespaces),
					tc.want, tc.wantPartial, tc.wantNamespace)
			}
		})
	}
}
