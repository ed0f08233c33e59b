package app

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/strata-dev/strata/pkg/mutate"
	"github.com/strata-dev/strata/pkg/mutate/mutatingpolicy"
	"github.com/strata-dev/strata/pkg/mutate/sparkv1beta2"
	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/manifest"
	"github.com/strata-dev/strata/pkg/policy"
)

// appCreation is what the API server's admission makes of a
// SparkApplication's creation, as the dry run predicts it: compose,
// composer test and composer diff read an application through it alike,
// as they read a pod through podCreation.
type appCreation struct {
	// composed is the webhook's composition of the application as the
	// cluster's MutatingAdmissionPolicies leave it.
	composed *mutate.AppResult
	// stored is the application the API server stores, after its second
	// pass: composed's, unless a policy changed it again.
	stored *sparkv1beta2.Object
	// changed: the policies changed the application on the first pass.
	changed bool
	// refused is a policy's refusal on either pass; nil for none. The
	// application is composed all the same, as written where the first
	// pass refuses it.
	refused *policy.RefusedError
}

// createApp is the creation of obj's application by user ("" for not
// known), as snap, cluster and the cluster's MutatingAdmissionPolicies
// (applier's; nil for none) have the API server admit it: the policies,
// the webhook's composition, then the API server's second pass, where
// those whose reinvocationPolicy is IfNeeded apply again to what the
// webhook changed, and the webhook (IfNeeded too) composes again what
// they changed. The policies apply to a SparkApplication created as
// written, where the SparkApplications' CustomResourceDefinition is known
// (mutatingpolicy.Applier.Undefined; mutatingNotes names them where it is
// not), not to a ScheduledSparkApplication's runs, which the operator
// creates.
func createApp(ctx context.Context, snap *overlay.Snapshot, cluster mutate.Cluster, applier *mutatingpolicy.Applier, obj manifest.Object, user string) (appCreation, error) {
	var c appCreation
	app := obj.App
	var creation *mutatingpolicy.CustomCreation
	if applier != nil && obj.Schedule.Name == "" && applier.Undefined(appKind) == "" {
		written, err := unstructuredOf(app.Original())
		if err != nil {
			return c, err
		}
		if creation, err = applier.CreateCustom(written, user); err != nil {
			return c, err
		}
		admitted, err := creation.Admit(ctx)
		switch {
		case err != nil:
			c.refused, creation = policy.MutatingPolicyRefused("SparkApplication", err), nil
		case creation.Changed():
			c.changed = true
			if app, err = appOf(admitted); err != nil {
				return c, fmt.Errorf("the SparkApplication as the cluster's MutatingAdmissionPolicies leave it: %w", err)
			}
		}
	}
	var err error
	if c.composed, err = mutate.ComposeApp(snap, cluster, app); err != nil {
		return c, err
	}
	c.stored = c.composed.App
	if creation == nil || (!c.changed && len(c.composed.Patch) == 0) {
		return c, nil // no second pass
	}
	composed, err := unstructuredOf(c.composed.App.Marshal())
	if err != nil {
		return c, err
	}
	again, err := creation.Reinvoke(ctx, composed)
	if err != nil {
		c.refused = policy.MutatingPolicyRefused("SparkApplication", err)
		return c, nil
	}
	if equality.Semantic.DeepEqual(again.Object, composed.Object) {
		return c, nil
	}
	if app, err = appOf(again); err != nil {
		return c, fmt.Errorf("the SparkApplication as the cluster's MutatingAdmissionPolicies leave it on the API server's second pass: %w", err)
	}
	res, err := mutate.ComposeApp(snap, cluster, app)
	if err != nil {
		return c, fmt.Errorf("composing the SparkApplication again after the cluster's MutatingAdmissionPolicies changed it on the API server's second pass: %w", err)
	}
	c.stored = res.App
	return c, nil
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

// appOf is u read as the webhook reads a SparkApplication.
func appOf(u *unstructured.Unstructured) (*sparkv1beta2.Object, error) {
	data, err := u.MarshalJSON()
	if err != nil {
		return nil, err
	}
	return sparkv1beta2.Decode(data)
}
