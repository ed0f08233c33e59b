package app

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/strata-dev/strata/pkg/mutate"
	"github.com/strata-dev/strata/pkg/overlay/manifest"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
	"github.com/strata-dev/strata/pkg/policy"
)

// PolicyTest is a file of test cases for a layer repository and its
// policies (apiVersion strata.dev/v1alpha1, kind PolicyTest). Paths are
// relative to the file.
type PolicyTest struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name string `json:"name"`
	} `json:"metadata"`
	// Layers is the layer repository (kustomization or directory).
	Layers string `json:"layers"`
	// Cluster and Pool are the cluster's identity.
	Cluster string `json:"cluster"`
	Pool    string `json:"pool"`
	// Policies replaces the built-in policies when set.
	Policies string `json:"policies,omitempty"`
	// OperatorUser is the Spark Operator's user, as the API server names
	// it (composer compose --operator-user); empty: not known.
	OperatorUser string `json:"operatorUser,omitempty"`
	// Admission is the API server's admission configuration (its
	// AdmissionConfiguration, or a PodSecurityConfiguration alone), as the
	// webhook's --admission-config and --cluster-config take it: the
	// PodSecurity plugin's level of namespaces without labels and its
	// exemptions, and the cluster's default node selector and tolerations
	// of PodNodeSelector and PodTolerationRestriction.
	Admission string `json:"admission,omitempty"`
	// PodSecurity is Admission's former name, read the same; a file has
	// one of them.
	PodSecurity string `json:"podSecurity,omitempty"`
	// AdmissionPlugins are the API server's admission plugins, off by
	// default, that the cluster enables, as the composer's
	// --admission-plugins takes them (PodNodeSelector,
	// PodTolerationRestriction, ExtendedResourceToleration): each case's
	// pod is given its namespace's node selector and tolerations (and
	// those of the extended resources it requests), and judged, as they
	// do.
	AdmissionPlugins []string         `json:"admissionPlugins,omitempty"`
	Cases            []PolicyTestCase `json:"cases"`
}

// PolicyTestCase is one pod, SparkApplication, PodGroup or SparkConnect
// and the verdict expected for it.
type PolicyTestCase struct {
	Name string `json:"name"`
	// Pod is a file with exactly one Pod.
	Pod string `json:"pod,omitempty"`
	// App is a file with exactly one SparkApplication, judged as the
	// webhook judges it at submission (as a whole, and by the pods it
	// will launch).
	App string `json:"app,omitempty"`
	// PodGroup is a file with exactly one Volcano PodGroup, judged as the
	// webhook judges one a tenant creates (its class, queue and what it
	// holds, with the namespace's waiting gangs of the inventory).
	PodGroup string `json:"podGroup,omitempty"`
	// Connect is a file with exactly one SparkConnect, composed and judged
	// as the webhooks do when it is written (as the application its
	// server runs). A case has one of Pod, App, PodGroup and Connect.
	Connect string `json:"connect,omitempty"`
	// NamespaceLabels add to or replace the labels of the pod's namespace.
	NamespaceLabels map[string]string `json:"namespaceLabels,omitempty"`
	// Inventory is the live state: what the namespace's other Spark pods
	// request, and how many executors the pod's app has; for a PodGroup,
	// what the namespace's other gangs waiting to run hold.
	Inventory *TestInventory `json:"inventory,omitempty"`
	// User creates the case's object, as the API server names users
	// (system:serviceaccount:NAMESPACE:NAME for a service account): the
	// request's user the policies see, and, for a Pod, whom the
	// PodSecurity admission's configuration may exempt. Empty: not known,
	// exempt from nothing. The pods a SparkApplication or a SparkConnect
	// launches are judged as created by the operator and the driver,
	// whoever writes it; an update's user is update.user.
	User string `json:"user,omitempty"`
	// Groups are the user's groups, beyond those the API server gives
	// every user and a service account (composer compose --as-group).
	Groups []string `json:"groups,omitempty"`
	// Update, for a Pod, judges an UPDATE of it instead of its creation:
	// the pod as the webhook stored it, updated by a patch, by a user.
	Update *TestUpdate     `json:"update,omitempty"`
	Expect TestExpectation `json:"expect"`
}

// TestUpdate is an UPDATE of a case's pod once created, as a controller or
// the tenant makes it (Kueue admitting a gated pod, say). The API server's
// own rules on what an update may change are not checked.
type TestUpdate struct {
	// User is who updates the pod, as the API server names it
	// (system:serviceaccount:NAMESPACE:NAME for a service account), in
	// Groups (as the case's groups).
	User   string   `json:"user,omitempty"`
	Groups []string `json:"groups,omitempty"`
	// Patch is a strategic merge patch of the stored pod, as kubectl patch
	// takes one.
	Patch json.RawMessage `json:"patch"`
}

// TestInventory is live state for a test case.
type TestInventory struct {
	Namespace struct {
		CPU    *resource.Quantity `json:"cpu,omitempty"`
		Memory *resource.Quantity `json:"memory,omitempty"`
		Pods   int64              `json:"pods,omitempty"`
	} `json:"namespace"`
	AppExecutors int64 `json:"appExecutors,omitempty"`
	// App is what the app's live pods, its executors and driver, request:
	// a part of the namespace's.
	App struct {
		CPU    *resource.Quantity `json:"cpu,omitempty"`
		Memory *resource.Quantity `json:"memory,omitempty"`
	} `json:"app"`
	// WaitingGangs is what the namespace's other Volcano PodGroups waiting
	// to run hold together (their minResources); for a PodGroup's case
	// only.
	WaitingGangs *struct {
		CPU    *resource.Quantity `json:"cpu,omitempty"`
		Memory *resource.Quantity `json:"memory,omitempty"`
	} `json:"waitingGangs,omitempty"`
}

// TestExpectation is the verdict: allowed or not, and the exact set of
// violations (policy, enforcement, message); and, of an object admitted,
// fields of what the API server stores.
type TestExpectation struct {
	Allowed    bool               `json:"allowed"`
	Violations []policy.Violation `json:"violations,omitempty"`
	// Stored are fields of what the API server stores of the case's
	// object (as composer compose prints it; a ScheduledSparkApplication's
	// run; a Pod as updated, for an update), each by its path as -o
	// explain names fields, with the value expected there, exactly; null
	// for a field that must be absent (storedProblems).
	Stored map[string]json.RawMessage `json:"stored,omitempty"`
}

// ReadPolicyTests decodes every PolicyTest of file (one per YAML
// document), strictly; none when it holds no PolicyTest.
func ReadPolicyTests(file string) ([]*PolicyTest, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	return decodePolicyTests(file, data)
}

// decodePolicyTests decodes every document of data that is a PolicyTest,
// strictly. A file whose documents are all something else (layers, pods)
// has none; a PolicyTest that does not decode is an error naming its
// document.
func decodePolicyTests(file string, data []byte) ([]*PolicyTest, error) {
	docs, err := manifest.DecodeDocuments(file, data)
	if err != nil {
		if !bytes.Contains(data, []byte(policyTestKind)) {
			return nil, nil //nolint:nilerr // not a test file: skipped
		}
		return nil, err
	}
	var out []*PolicyTest
	var errs []error
	for i := range docs {
		if docs[i].Kind != policyTestKind {
			continue
		}
		t, err := decodePolicyTest(file, &docs[i])
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, t)
	}
	return out, errors.Join(errs...)
}

// policyTestKind is the kind of a test file's documents.
const policyTestKind = "PolicyTest"

// decodePolicyTest decodes one PolicyTest document strictly, as a
// repository's objects are decoded: an error names the case's field
// (cases[3].inventory.appExecutors).
func decodePolicyTest(file string, doc *manifest.Document) (*PolicyTest, error) {
	var t PolicyTest
	if err := doc.DecodeStrict(&t); err != nil {
		return nil, err
	}
	if errs := validatePolicyTest(&t); len(errs) > 0 {
		lines := make([]string, len(errs))
		for i, e := range errs {
			lines[i] = fmt.Sprintf("%s: PolicyTest %q: %s", file, t.Metadata.Name, e.Error())
		}
		return nil, errors.New(strings.Join(lines, "\n"))
	}
	return &t, nil
}

// validatePolicyTest checks a decoded PolicyTest field by field, in the
// order of its fields, as ValidateLayer checks a Layer.
func validatePolicyTest(t *PolicyTest) field.ErrorList {
	var errs field.ErrorList
	if t.APIVersion != v1alpha1.GroupVersion.String() {
		errs = append(errs, field.NotSupported(field.NewPath("apiVersion"), t.APIVersion, []string{v1alpha1.GroupVersion.String()}))
	}
	if t.Layers == "" {
		errs = append(errs, field.Required(field.NewPath("layers"), "the layer repository (a kustomization or a directory)"))
	}
	// Without them the layers that match clusters or pools would apply to
	// no case, silently.
	if t.Cluster == "" {
		errs = append(errs, field.Required(field.NewPath("cluster"), "the cluster's name, matched by the layers' match.clusters"))
	}
	if t.Pool == "" {
		errs = append(errs, field.Required(field.NewPath("pool"), "the cluster's pool, matched by the layers' match.pools"))
	}
	if t.OperatorUser != "" {
		if err := mutate.CheckUserName(t.OperatorUser); err != nil {
			errs = append(errs, field.Invalid(field.NewPath("operatorUser"), t.OperatorUser, err.Error()))
		}
	}
	for i, name := range t.AdmissionPlugins {
		if _, err := mutate.ParsePlacementPlugins([]string{name}); err != nil {
			errs = append(errs, field.NotSupported(field.NewPath("admissionPlugins").Index(i), name, mutate.KnownPlacementPlugins()))
		}
	}
	cases := field.NewPath("cases")
	if len(t.Cases) == 0 {
		errs = append(errs, field.Required(cases, "at least one case"))
	}
	seen := map[string]int{}
	for i := range t.Cases {
		c, cp := &t.Cases[i], cases.Index(i)
		if c.Name == "" {
			errs = append(errs, field.Required(cp.Child("name"), ""))
		} else if j, dup := seen[c.Name]; dup {
			e := field.Duplicate(cp.Child("name"), c.Name)
			e.Detail = fmt.Sprintf("also the name of cases[%d]", j)
			errs = append(errs, e)
		} else {
			seen[c.Name] = i
		}
		switch objects := c.objectFields(); {
		case len(objects) == 0:
			errs = append(errs, field.Required(cp.Child("pod"), "a file with exactly one Pod (or app: a file with exactly one SparkApplication, podGroup: one with exactly one PodGroup, or connect: one with exactly one SparkConnect)"))
		case len(objects) > 1:
			errs = append(errs, field.Forbidden(cp.Child(objects[1]), "a case judges one object: a Pod, a SparkApplication, a PodGroup or a SparkConnect; this case also has "+objects[0]))
		}
		if inv := c.Inventory; inv != nil {
			podsLive := inv.Namespace.CPU != nil || inv.Namespace.Memory != nil || inv.Namespace.Pods != 0 || inv.AppExecutors != 0 ||
				inv.App.CPU != nil || inv.App.Memory != nil
			switch {
			case c.PodGroup != "" && podsLive:
				errs = append(errs, field.Forbidden(cp.Child("inventory"), "a PodGroup is judged with what the namespace's gangs waiting to run hold (inventory.waitingGangs), not with live pods"))
			case c.PodGroup == "" && inv.WaitingGangs != nil:
				errs = append(errs, field.Forbidden(cp.Child("inventory", "waitingGangs"), "what waiting gangs hold counts only for a PodGroup's case"))
			}
		}
		if c.User != "" && c.Update != nil {
			errs = append(errs, field.Forbidden(cp.Child("user"), "who creates the Pod; the user of an update is update.user"))
		}
		// A misspelt user is one no request comes from.
		if c.User != "" {
			if err := mutate.CheckUserName(c.User); err != nil {
				errs = append(errs, field.Invalid(cp.Child("user"), c.User, err.Error()))
			}
		}
		if c.Update != nil && c.Update.User != "" {
			if err := mutate.CheckUserName(c.Update.User); err != nil {
				errs = append(errs, field.Invalid(cp.Child("update", "user"), c.Update.User, err.Error()))
			}
		}
		if len(c.Groups) > 0 && c.User == "" {
			errs = append(errs, field.Required(cp.Child("user"), "the user in groups"))
		}
		if u := c.Update; u != nil {
			up := cp.Child("update")
			switch {
			case c.App != "":
				errs = append(errs, field.Forbidden(up, "an update is of a Pod; a SparkApplication is judged at submission"))
			case c.PodGroup != "":
				errs = append(errs, field.Forbidden(up, "an update is of a Pod; a PodGroup is judged as written"))
			case c.Connect != "":
				errs = append(errs, field.Forbidden(up, "an update is of a Pod; a SparkConnect is judged as written"))
			}
			if !bytes.HasPrefix(bytes.TrimSpace(u.Patch), []byte("{")) {
				errs = append(errs, field.Required(up.Child("patch"), "a strategic merge patch of the pod, an object"))
			}
		}
		for _, path := range slices.Sorted(maps.Keys(c.Expect.Stored)) {
			if _, err := parseStoredPath(path); err != nil {
				errs = append(errs, field.Invalid(cp.Child("expect", "stored").Key(path), path, err.Error()+` (want a field's path as -o explain names it: spec.initContainers[log-shipper].image, metadata.labels["a.b/c"])`))
			}
		}
		if len(c.Expect.Stored) > 0 && !c.Expect.Allowed {
			errs = append(errs, field.Forbidden(cp.Child("expect", "stored"), "nothing is stored of an object refused (expect.allowed: false)"))
		}
		for j, v := range c.Expect.Violations {
			vp := cp.Child("expect", "violations").Index(j)
			if v.Policy == "" {
				errs = append(errs, field.Required(vp.Child("policy"), "the policy's name (quota, isolation, baseline, ...)"))
			}
			switch v.Enforcement {
			case "", v1alpha1.EnforcementDeny, v1alpha1.EnforcementWarn, v1alpha1.EnforcementDryRun:
			default:
				errs = append(errs, field.NotSupported(vp.Child("enforcement"), v.Enforcement,
					[]v1alpha1.Enforcement{v1alpha1.EnforcementDeny, v1alpha1.EnforcementWarn, v1alpha1.EnforcementDryRun, ""}))
			}
		}
	}
	return errs
}

// objectFields are the fields of the object files the case names, in
// the order of its fields.
func (c *PolicyTestCase) objectFields() []string {
	var out []string
	for _, f := range []struct{ name, value string }{{"pod", c.Pod}, {"app", c.App}, {"podGroup", c.PodGroup}, {"connect", c.Connect}} {
		if f.value != "" {
			out = append(out, f.name)
		}
	}
	return out
}
