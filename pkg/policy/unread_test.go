package policy

import (
	"context"
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/strata-dev/strata/policies"
	"github.com/strata-dev/strata/test/fixtures"
)

// TestUnreadContainerFields: a container field is left out of input.pod
// only when every policy file that reads input.pod declares it unread.
func TestUnreadContainerFields(t *testing.T) {
	builtin, err := LoadModules(policies.FS)
	if err != nil {
		t.Fatal(err)
	}
	all := []string{"args", "command", "env", "envFrom", "resources", "volumeMounts", "workingDir"}
	declaring := func(fields string, body string) string {
		return "# METADATA\n# custom:\n#   unread_container_fields: " + fields + "\npackage strata.site\n\n" + body
	}
	readsPod := "violation contains \"x\" if input.pod.spec.containers[_].name == \"x\"\n"
	tests := map[string]struct {
		site    string
		want    []string
		wantErr string
	}{
		"the built-in policies":                     {want: all},
		"a site policy that does not read the pod":  {site: "package strata.site\n\nviolation contains \"x\" if input.role == \"x\"\n", want: all},
		"a site policy reading the pod, undeclared": {site: "package strata.site\n\n" + readsPod, want: nil},
		"a site policy reading the input whole":     {site: "package strata.site\n\nviolation contains \"x\" if input[_] == \"x\"\n", want: nil},
		"a field that cannot be left out":           {site: declaring("[env, args, image]", readsPod), wantErr: `site.rego: METADATA custom.unread_container_fields: image is not a container field`},
		"a site policy declaring two":               {site: declaring("[env, args]", readsPod), want: []string{"args", "env"}},
		"a declaration that is not a list":          {site: declaring("env", readsPod), wantErr: "must be a list of container fields"},
		"a declaration on a rule, not the package": {site: "package strata.site\n\n# METADATA\n# custom:\n#   unread_container_fields: [env]\n" + readsPod,
			want: nil},
	}
	for name, tt := range tests {
		mods := Modules{}
		for k, v := range builtin {
			mods[k] = v
		}
		if tt.site != "" {
			mods["site.rego"] = tt.site
		}
		e, err := NewEngine(context.Background(), mods)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%s: error %v, want %q", name, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !reflect.DeepEqual(e.uses.unread, tt.want) && (len(e.uses.unread) != 0 || len(tt.want) != 0) {
			t.Errorf("%s: unread %v, want %v", name, e.uses.unread, tt.want)
		}
	}
}

// TestUnreadFieldsAreUnread holds the built-in policies to what they
// declare: every pod gets the same verdict with its containers' unread
// fields left out as with them in. The pods are the Pod Security
// Standards corpus, the example pods and the pods of
// TestExplainedFieldsGiveTheWholeInput, each also with every unread field
// set, in every kind of container, to what a tenant might hide there
// (a hostPath mount, a privileged-looking command, an IAM role in the
// environment, huge requests).
func TestUnreadFieldsAreUnread(t *testing.T) {
	c := tenantCheck(t, everyFieldLayers, schedulingv1.PriorityClass{ObjectMeta: metav1.ObjectMeta{Name: "platform-critical"}, Value: 1000})
	if len(c.Engine.uses.unread) == 0 {
		t.Fatal("the built-in policies declare nothing unread: the test checks nothing")
	}
	whole := *c.Engine
	whole.uses.unread = nil
	wholeCheck := *c
	wholeCheck.Engine = &whole
	hide := func(ct *corev1.Container) {
		ct.Args = []string{"--privileged", "/host"}
		ct.Command = []string{"nsenter", "-t", "1", "-m"}
		ct.Env = append(ct.Env, corev1.EnvVar{Name: awsRoleEnv, Value: "arn:aws:iam::999999999999:role/admin"})
		ct.EnvFrom = []corev1.EnvFromSource{{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "admin"}}}}
		ct.Resources.Requests = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1000")}
		ct.VolumeMounts = append(ct.VolumeMounts, corev1.VolumeMount{Name: "host-logs", MountPath: "/h"})
		ct.WorkingDir = "/host"
	}
	var pods []*corev1.Pod
	pods = append(pods, corpus(200)...)
	for _, p := range examplePods(t) {
		pods = append(pods, p, composed(t, c, p))
	}
	judged := 0
	for _, pod := range pods {
		hidden := pod.DeepCopy()
		forEachContainer(hidden, hide)
		for _, p := range []*corev1.Pod{pod, hidden} {
			_, got := verdict(t, c, p.DeepCopy(), Request{})
			_, want := verdict(t, &wholeCheck, p.DeepCopy(), Request{})
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s: with unread fields left out %+v, with them %+v", p.Name, got.Violations, want.Violations)
			}
			judged++
		}
	}
	if judged == 0 {
		t.Fatal("no pod judged")
	}
}

// TestPodForPoliciesLeavesThePod: leaving fields out never changes the
// pod judged, and leaves out exactly what is asked.
func TestPodForPoliciesLeavesThePod(t *testing.T) {
	pod := corpus(1)[0]
	forEachContainer(pod, func(c *corev1.Container) { c.Env = []corev1.EnvVar{{Name: "A"}}; c.Args = []string{"x"} })
	pod.ManagedFields = []metav1.ManagedFieldsEntry{{Manager: "kubectl"}}
	before := pod.DeepCopy()
	got := podForPolicies(pod, []string{"env"})
	if !reflect.DeepEqual(pod, before) {
		t.Fatal("the pod judged changed")
	}
	if got.ManagedFields != nil {
		t.Error("managedFields kept")
	}
	forEachContainer(got, func(c *corev1.Container) {
		if c.Env != nil || len(c.Args) != 1 {
			t.Errorf("container %s: env %v, args %v", c.Name, c.Env, c.Args)
		}
	})
}

func examplePods(t *testing.T) []*corev1.Pod {
	t.Helper()
	var out []*corev1.Pod
	for _, f := range []string{"driver.yaml", "executor.yaml", "geo-executor.yaml", "tenant-debug-pod.yaml"} {
		out = append(out, fixtures.Pod(t, f))
	}
	return append(out, sparkPod("driver"), sparkPod("executor"))
}
