package app

import (
	"context"
	"encoding/json"
	"fmt"

	authenticationv1 "k8s.io/api/authentication/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/strata-dev/strata/pkg/mutate"
	"github.com/strata-dev/strata/pkg/mutate/mutatingpolicy"
	"github.com/strata-dev/strata/pkg/mutate/sparkv1alpha1"
	"github.com/strata-dev/strata/pkg/mutate/sparkv1beta2"
	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/manifest"
	"github.com/strata-dev/strata/pkg/policy"
	"github.com/strata-dev/strata/pkg/policy/volcanov1beta1"
)

// customAdmission is the creation of a custom resource's object (a
// SparkApplication, a SparkConnect, a ScheduledSparkApplication, a
// PodGroup) through the cluster's
// MutatingAdmissionPolicies, as the API server's admission makes it: the
// first pass (admitCustom), then, after the webhook composed it, the
// second (reinvoke).
type customAdmission struct {
	kind string
	// creation is nil where no policy applies: none bound, or the kind's
	// CustomResourceDefinition is not known (mutatingNotes names them), or
	// the first pass refused the object.
	creation *mutatingpolicy.CustomCreation
	// changed: a policy changed the object on the first pass.
	changed bool
	// refused is a policy's refusal on either pass; nil for none.
	refused *policy.RefusedError
}

// invalid is err, from composing the object, an object of kind: where it
// is a composition the API server would refuse
// (mutate.InvalidCompositionError), a verdict like a policy's (nil
// error): the webhook's refusal of the object, or, where a policy refused
// it first, that refusal, since the API server then never calls the
// webhook (as createPod does of a pod); any other error as it is.
func (a *customAdmission) invalid(kind string, err error) error {
	if !mutate.IsInvalidComposition(err) {
		return err
	}
	if a.refused == nil {
		a.refused = policy.CompositionInvalid(kind, err)
	}
	return nil
}

// admitCustom is the API server's first pass over written (JSON), an
// object of kind in namespace created by user, with applier's policies
// (nil for none): the object as they leave it, written where they change
// nothing, apply none, or refuse it.
func admitCustom(ctx context.Context, applier *mutatingpolicy.Applier, kind schema.GroupVersionKind, namespace string, written []byte, user string) (customAdmission, []byte, error) {
	a := customAdmission{kind: kind.Kind}
	if applier == nil || applier.Undefined(kind) != "" {
		return a, written, nil
	}
	obj, err := unstructuredOf(written, nil)
	if err != nil {
		return a, nil, err
	}
	if obj.GetNamespace() == "" {
		obj.SetNamespace(namespace) // the request's
	}
	creation, err := applier.CreateCustom(obj, user)
	if err != nil {
		return a, nil, err
	}
	admitted, err := creation.Admit(ctx)
	if err != nil {
		a.refused = policy.MutatingPolicyRefused(kind.Kind, err)
		return a, written, nil
	}
	a.creation = creation
	if !creation.Changed() {
		return a, written, nil
	}
	a.changed = true
	out, err := admitted.MarshalJSON()
	return a, out, err
}

// reinvoke is the API server's second pass over the object as the webhook
// composed it (composed, its JSON), where there is one (a policy changed
// the object on the first pass, or the webhook did: webhookChanged):
// those whose reinvocationPolicy is IfNeeded apply again to what the
// webhook changed. It is the object as they leave it; nil where they leave
// it as it is, there is no second pass, or they refuse it (a.refused).
func (a *customAdmission) reinvoke(ctx context.Context, composed func() ([]byte, error), webhookChanged bool) ([]byte, error) {
	if a.creation == nil || (!a.changed && !webhookChanged) {
		return nil, nil
	}
	obj, err := unstructuredOf(composed())
	if err != nil {
		return nil, err
	}
	again, err := a.creation.Reinvoke(ctx, obj)
	if err != nil {
		a.refused = policy.MutatingPolicyRefused(a.kind, err)
		return nil, nil
	}
	if equality.Semantic.DeepEqual(again.Object, obj.Object) {
		return nil, nil
	}
	return again.MarshalJSON()
}

// appCreation is what the API server's admission makes of a
// SparkApplication's creation, as the dry run predicts it: compose,
// composer test and composer diff read an application through it alike,
// as they read a pod through podCreation.
type appCreation struct {
	customAdmission
	// composed is the webhook's composition of the application as the
	// cluster's MutatingAdmissionPolicies leave it on the first pass (as
	// written where they refuse it).
	composed *mutate.AppResult
	// stored is the application the API server stores, after its second
	// pass: composed's, unless a policy changed it again, composed again.
	stored *sparkv1beta2.Object
	// schedule is the ScheduledSparkApplication's, where the application
	// is its run, as the policies leave it; scheduleChanged: they changed
	// the ScheduledSparkApplication.
	schedule        sparkv1beta2.Schedule
	scheduleChanged bool
}

// policiesChanged reports whether the policies changed what is composed:
// the application, or the schedule it is a run of.
func (c *appCreation) policiesChanged() bool { return c.changed || c.scheduleChanged }

// createApp is the creation of obj's application by user (as the API
// server names users, "" for not known), as snap, cluster and the cluster's MutatingAdmissionPolicies
// (applier's; nil for none) have the API server admit it: the policies,
// the webhook's composition, then the API server's second pass, where the
// webhook (IfNeeded too) composes again what the policies changed. Where
// it is a ScheduledSparkApplication's run, the policies apply to the
// ScheduledSparkApplication (created by user, both passes: no webhook
// changes it), then to the run, created by cluster's Spark Operator, as
// the schedule they leave makes it.
func createApp(ctx context.Context, snap *overlay.Snapshot, cluster mutate.Cluster, applier *mutatingpolicy.Applier, obj manifest.Object, user string) (appCreation, error) {
	c := appCreation{schedule: obj.Schedule}
	app := obj.App
	if obj.Schedule.Name != "" {
		schedule, admitted, err := admitCustom(ctx, applier, scheduledKind, app.App.Namespace, obj.Raw, user)
		if err != nil {
			return c, err
		}
		if schedule.creation != nil {
			if again, err := schedule.reinvoke(ctx, func() ([]byte, error) { return admitted, nil }, false); err != nil {
				return c, err
			} else if again != nil {
				admitted = again
			}
		}
		c.scheduleChanged = schedule.changed
		switch {
		case schedule.refused != nil:
			c.customAdmission = schedule // the schedule is refused: it never runs
		case schedule.changed:
			run, runSchedule, err := sparkv1beta2.RunOf(admitted)
			if err != nil {
				schedule.refused = policy.MutatingPolicyUnreadable(sparkv1beta2.ScheduledKind, err)
				c.customAdmission = schedule
				break
			}
			app, c.schedule = run, runSchedule
			if app.App.Namespace == "" {
				app.App.Namespace = obj.App.App.Namespace
			}
		}
		user = cluster.SparkOperator // the operator creates each run
	}
	if c.refused == nil {
		written, err := app.Original()
		if err != nil {
			return c, err
		}
		var admitted []byte
		if c.customAdmission, admitted, err = admitCustom(ctx, applier, appKind, app.App.Namespace, written, user); err != nil {
			return c, err
		}
		if c.changed {
			if changed, err := sparkv1beta2.Decode(admitted); err != nil {
				c.refused = policy.MutatingPolicyUnreadable(sparkv1beta2.Kind, err)
			} else {
				app = changed
			}
		}
	}
	var err error
	if c.composed, err = mutate.ComposeApp(snap, cluster, app); err != nil {
		return c, c.invalid(sparkv1beta2.Kind, err)
	}
	c.stored = c.composed.App
	if c.refused != nil {
		return c, nil // refused on the first pass: there is no second
	}
	again, err := c.reinvoke(ctx, c.composed.App.Marshal, len(c.composed.Patch) > 0)
	if err != nil || again == nil {
		return c, err
	}
	if app, err = sparkv1beta2.Decode(again); err != nil {
		c.refused = policy.MutatingPolicyUnreadable(sparkv1beta2.Kind, err)
		return c, nil
	}
	res, err := mutate.ComposeApp(snap, cluster, app)
	if err != nil {
		c.composed, c.stored = nil, nil
		return c, c.invalid(sparkv1beta2.Kind, fmt.Errorf("composing the SparkApplication again after the cluster's MutatingAdmissionPolicies changed it on the API server's second pass: %w", err))
	}
	c.stored = res.App
	return c, nil
}

// verdict is the validating webhooks' decision on the application the API
// server stores, created by user (judgeApp), or the policies' refusal of
// it before any webhook.
func (c *appCreation) verdict(ctx context.Context, check *policy.Check, live policy.LiveState, user authenticationv1.UserInfo) (policy.Decision, error) {
	if c.refused != nil {
		return c.refused.Decision(), nil
	}
	return judgeApp(ctx, check, c.schedule, &c.stored.App, live, user)
}

// connectCreation is what the API server's admission makes of a
// SparkConnect's creation, as appCreation is a SparkApplication's.
type connectCreation struct {
	customAdmission
	// composed is the webhook's composition of the SparkConnect as the
	// policies leave it on the first pass.
	composed *mutate.ConnectResult
	// stored is the SparkConnect the API server stores, as composed:
	// composed, unless a policy changed it again on the second pass.
	stored *mutate.ConnectResult
}

// createConnect is the creation of written (JSON), a SparkConnect of
// namespace (where it names none), by user, as createApp is a
// SparkApplication's.
func createConnect(ctx context.Context, snap *overlay.Snapshot, cluster mutate.Cluster, applier *mutatingpolicy.Applier, written []byte, namespace, user string) (connectCreation, error) {
	var c connectCreation
	var admitted []byte
	var err error
	if c.customAdmission, admitted, err = admitCustom(ctx, applier, connectKind, namespace, written, user); err != nil {
		return c, err
	}
	if c.composed, err = mutate.ComposeConnect(snap, cluster, admitted, namespace); err != nil {
		if !c.changed || mutate.IsInvalidComposition(err) {
			c.composed = nil
			return c, c.invalid(sparkv1alpha1.Kind, err)
		}
		// Refused; composed as written, for what is printed.
		c.refused = policy.MutatingPolicyUnreadable(sparkv1alpha1.Kind, err)
		if c.composed, err = mutate.ComposeConnect(snap, cluster, written, namespace); err != nil {
			c.composed = nil
			return c, c.invalid(sparkv1alpha1.Kind, err)
		}
	}
	c.stored = c.composed
	if c.refused != nil {
		return c, nil
	}
	again, err := c.reinvoke(ctx, func() ([]byte, error) { return json.Marshal(c.composed.Object) }, len(c.composed.Patch) > 0)
	if err != nil || again == nil {
		return c, err
	}
	if c.stored, err = mutate.ComposeConnect(snap, cluster, again, namespace); err != nil {
		c.composed, c.stored = nil, nil
		return c, c.invalid(sparkv1alpha1.Kind, fmt.Errorf("composing the SparkConnect again after the cluster's MutatingAdmissionPolicies changed it on the API server's second pass: %w", err))
	}
	return c, nil
}

// verdict is the validating webhook's decision on the SparkConnect the API
// server stores, on req (policy.Check.Connect), or the policies' refusal
// of it before any webhook.
func (c *connectCreation) verdict(ctx context.Context, check *policy.Check, req policy.Request, live policy.LiveState) (policy.Decision, error) {
	if c.refused != nil {
		return c.refused.Decision(), nil
	}
	return check.Connect(ctx, c.stored.Connect, req, live)
}

// podGroupCreation is what the API server's admission makes of a Volcano
// PodGroup's creation: the policies, on both passes (no webhook changes
// a PodGroup; Strata judges it).
type podGroupCreation struct {
	customAdmission
	// podGroup is the PodGroup the API server stores, and raw it as JSON.
	podGroup volcanov1beta1.PodGroup
	raw      []byte
}

// createPodGroup is the creation of obj's PodGroup by user, as the
// cluster's MutatingAdmissionPolicies (applier's; nil for none) have the
// API server admit it.
func createPodGroup(ctx context.Context, applier *mutatingpolicy.Applier, obj manifest.Object, user string) (podGroupCreation, error) {
	c := podGroupCreation{podGroup: *obj.PodGroup, raw: obj.Raw}
	var admitted []byte
	var err error
	if c.customAdmission, admitted, err = admitCustom(ctx, applier, podGroupKind, obj.PodGroup.Namespace, obj.Raw, user); err != nil || c.refused != nil {
		return c, err
	}
	again, err := c.reinvoke(ctx, func() ([]byte, error) { return admitted, nil }, false)
	switch {
	case err != nil || c.refused != nil:
		return c, err
	case again != nil:
		admitted = again
	}
	if !c.changed {
		return c, nil
	}
	pg, err := volcanov1beta1.Decode(admitted)
	if err != nil {
		c.refused = policy.MutatingPolicyUnreadable(volcanov1beta1.Kind, err)
		return c, nil // as written
	}
	c.podGroup, c.raw = pg, admitted
	return c, nil
}

// verdict is the validating webhook's decision on the PodGroup the API
// server stores, on req (policy.Check.PodGroup), or the policies' refusal
// of it before any webhook.
func (c *podGroupCreation) verdict(ctx context.Context, check *policy.Check, req policy.Request) (policy.Decision, error) {
	if c.refused != nil {
		return c.refused.Decision(), nil
	}
	return check.PodGroup(ctx, c.podGroup, req)
}

// unstructuredOf is the object of data (JSON), as the API server decodes
// a custom resource's object (integers as int64).
func unstructuredOf(data []byte, err error) (*unstructured.Unstructured, error) {
	if err != nil {
		return nil, err
	}
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(data); err != nil {
		return nil, err
	}
	return u, nil
}
