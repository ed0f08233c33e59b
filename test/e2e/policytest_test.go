package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	nodev1 "k8s.io/api/node/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"

	composer "github.com/strata-dev/strata/cmd/composer/app"
	"github.com/strata-dev/strata/pkg/overlay/manifest"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
	"github.com/strata-dev/strata/test/controlplane"
)

// TestPolicyTestCasesThroughTheAPIServer: the example repository's
// PolicyTest cases, which composer test judges offline, judged by the API
// server with the webhooks, as the server-side dry-run creation of each
// case's pod, SparkApplication (or ScheduledSparkApplication), SparkConnect
// or PodGroup: the verdict composer test expects (each denial's message in
// the API server's answer, each warning among its warnings) and the
// fields it expects of what is stored. One suite drives both. A case's
// update is made by its user (impersonated, allowed to patch pods) as a
// dry run of a pod created first. The cases this cluster cannot reproduce
// as written are left to composer test: a live inventory (this cluster's
// namespaces hold what the other tests left), a user or namespace labels
// of the case's own.
func TestPolicyTestCasesThroughTheAPIServer(t *testing.T) {
	file := filepath.Join(controlplane.RepoRoot(), "examples", "tests", "prod-a.yaml")
	suites, err := composer.ReadPolicyTests(file)
	if err != nil || len(suites) != 1 {
		t.Fatalf("%s: %d suites, %v", file, len(suites), err)
	}
	suite := suites[0]
	if suite.Cluster != cluster.Name || suite.Pool != cluster.Pool || filepath.Join(filepath.Dir(file), suite.Layers) != exampleLayers {
		t.Fatalf("the suite is of cluster %q, pool %q, layers %s; this cluster runs %+v with %s", suite.Cluster, suite.Pool, suite.Layers, cluster, exampleLayers)
	}
	// The repository's RuntimeClasses, as the cluster it is for holds
	// them (the other tests make classes of their own).
	repo, err := manifest.LoadRepo(filesys.MakeFsOnDisk(), exampleLayers)
	if err != nil {
		t.Fatal(err)
	}
	classes := make([]*nodev1.RuntimeClass, len(repo.RuntimeClasses))
	for i := range repo.RuntimeClasses {
		classes[i] = &repo.RuntimeClasses[i]
	}
	// And one a case names that it does not hold: a class of the
	// platform's own, with no scheduling, which composer test judges
	// without knowing it.
	classes = append(classes, &nodev1.RuntimeClass{ObjectMeta: metav1.ObjectMeta{Name: "runc-host"}, Handler: "runc"})
	createRuntimeClasses(t, classes...)
	c, warnings := clientWithWarnings(t)
	judged, stored, updates := 0, 0, 0
	for i, tc := range suite.Cases {
		if tc.Inventory != nil || tc.User != "" || tc.NamespaceLabels != nil {
			continue
		}
		t.Run(tc.Name, func(t *testing.T) {
			name := tc.Pod + tc.App + tc.PodGroup + tc.Connect // one of them
			data, err := os.ReadFile(filepath.Join(filepath.Dir(file), name))
			if err != nil {
				t.Fatal(err)
			}
			obj := &unstructured.Unstructured{}
			if err := yaml.Unmarshal(data, &obj.Object); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			var got []string
			if u := tc.Update; u != nil {
				// The pod as the webhook stores it, then the update by its
				// user, who may patch pods.
				obj.SetName(fmt.Sprintf("%s-case-%d", obj.GetName(), i))
				if err := cp.Client.Create(context.Background(), obj); err != nil {
					t.Fatalf("creating the pod to update: %v", err)
				}
				t.Cleanup(func() { _ = cp.Client.Delete(context.Background(), obj) })
				allow(t, fmt.Sprintf("e2e-policytest-case-%d", i), rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"get", "patch"}},
					rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: u.User})
				as, w := impersonatingWithWarnings(t, u.User, u.Groups...)
				err = as.Patch(context.Background(), obj, client.RawPatch(types.StrategicMergePatchType, u.Patch), client.DryRunAll)
				got = w.all()
				updates++
			} else {
				before := len(warnings.all())
				err = c.Create(context.Background(), obj, client.DryRunAll)
				got = warnings.all()[before:]
			}
			if allowed := err == nil; allowed != tc.Expect.Allowed {
				t.Fatalf("allowed: %v (%v), composer test expects %v", allowed, err, tc.Expect.Allowed)
			}
			judged++
			for _, v := range tc.Expect.Violations {
				switch v.Enforcement {
				case "", v1alpha1.EnforcementDeny:
					if words := apiServersWords(v.Policy, v.Message); !strings.Contains(err.Error(), words) {
						t.Errorf("the API server's answer lacks %q:\n%v", words, err)
					}
				case v1alpha1.EnforcementWarn:
					if !strings.Contains(strings.Join(got, "\n"), v.Message) {
						t.Errorf("the warnings lack %q:\n%s", v.Message, strings.Join(got, "\n"))
					}
				}
			}
			if len(tc.Expect.Stored) == 0 {
				return
			}
			stored++
			problems, err := tc.Expect.StoredProblems(obj.Object)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range problems {
				t.Error(p)
			}
		})
	}
	// The suite keeps cases of each kind this test reproduces.
	if judged < 10 || stored == 0 || updates == 0 {
		t.Errorf("%d cases judged, %d with stored fields, %d updates: the suite lost the cases this test is for", judged, stored, updates)
	}
}

// apiServersWords is what the API server says of a violation composer
// test predicts of it (its own refusal, named by the plugin or the check
// and saying whose it is: "pod-update: spec: Forbidden: ... (the API
// server refuses ...)"): the words between; a policy's message as it is.
func apiServersWords(policy, message string) string {
	words, ok := strings.CutPrefix(message, policy+": ")
	if i := strings.LastIndex(words, " (the API server"); ok && i >= 0 {
		return words[:i]
	}
	return message
}
