package policy

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/strata-dev/strata/pkg/mutate/sparkv1beta2"
)

// TestMinSubmissionInterval: limits.minSubmissionIntervalSeconds, from a
// layer, holds the built-in quota policy's bound on how often the operator
// submits an application on its own: an app restarting Always, or
// retrying sooner than the limit, is refused at submission, as is a
// schedule whose runs come closer; the layer is named. Without the limit
// every one of them is allowed.
func TestMinSubmissionInterval(t *testing.T) {
	limited := tenantCheck(t, map[string]string{"interval": `{tier: ClusterOverrides, config: {limits: {minSubmissionIntervalSeconds: 60}}}`})
	unlimited := tenantCheck(t, nil)
	const limit = `; namespace "etl" allows no less than 60s between submissions (ClusterOverrides layer "interval")`
	for _, tt := range []struct {
		name     string
		policy   *sparkv1beta2.RestartPolicy
		schedule string
		want     string
	}{
		{name: "no restarts"},
		{name: "Never", policy: &sparkv1beta2.RestartPolicy{Type: "Never", OnFailureRetryInterval: new(int64(1))}},
		{name: "OnFailure at the limit", policy: &sparkv1beta2.RestartPolicy{Type: "OnFailure", OnFailureRetries: new(int32(3)), OnFailureRetryInterval: new(int64(60)),
			OnSubmissionFailureRetries: new(int32(3)), OnSubmissionFailureRetryInterval: new(int64(600))}},
		{name: "OnFailure sooner", policy: &sparkv1beta2.RestartPolicy{Type: "OnFailure", OnFailureRetries: new(int32(3)), OnFailureRetryInterval: new(int64(5))},
			want: `quota: app "a": restartPolicy.onFailureRetryInterval is 5s, so the operator may submit it again that soon` + limit},
		{name: "Always", policy: &sparkv1beta2.RestartPolicy{Type: "Always", OnFailureRetryInterval: new(int64(600)), OnSubmissionFailureRetryInterval: new(int64(600))},
			want: `quota: app "a": restartPolicy.type Always: the operator submits an application that succeeded again at once` + limit + `: use OnFailure`},
		{name: "a schedule at the limit", schedule: "*/1 * * * *"},
		{name: "a schedule sooner", schedule: "CRON_TZ=Europe/Berlin @every 10s",
			want: `quota: ScheduledSparkApplication "s" starts a run as often as every 10s (schedule "CRON_TZ=Europe/Berlin @every 10s")` + limit},
		{name: "a schedule the operator never runs", schedule: "@every now"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for _, c := range []*Check{limited, unlimited} {
				app := composedApp(t, c, nil)
				app.Spec.RestartPolicy = tt.policy
				var got string
				if tt.schedule == "" {
					got = appVerdict(t, c, app)
				} else {
					d, err := c.ScheduledRun(context.Background(), sparkv1beta2.Schedule{Name: "s", Cron: tt.schedule}, app, Request{Operation: "CREATE"})
					if err != nil {
						t.Fatal(err)
					}
					var msgs []string
					for _, v := range d.Violations {
						msgs = append(msgs, v.Message)
					}
					got = strings.Join(msgs, "\n")
				}
				want := tt.want
				if c == unlimited {
					want = ""
				}
				if got != want {
					t.Errorf("limit %v: got\n%s\nwant\n%s", c == limited, got, want)
				}
			}
		})
	}
}

// TestRunIsJudgedByItsSchedule: an application labelled as the run of a
// ScheduledSparkApplication is judged with how often that schedule runs,
// whenever the schedule was written; one whose schedule is not found is
// judged as any application; a schedule that cannot be read is an error,
// never a verdict.
func TestRunIsJudgedByItsSchedule(t *testing.T) {
	c := tenantCheck(t, map[string]string{"interval": `{tier: ClusterOverrides, config: {limits: {minSubmissionIntervalSeconds: 60}}}`})
	var looked []string
	c.Schedules = func(_ context.Context, namespace, name string) (*sparkv1beta2.Schedule, error) {
		looked = append(looked, namespace+"/"+name)
		switch name {
		case "often":
			return &sparkv1beta2.Schedule{Name: name, Cron: "@every 10s"}, nil
		case "daily":
			return &sparkv1beta2.Schedule{Name: name, Cron: "@daily"}, nil
		case "unreadable":
			return nil, errors.New("the API server is away")
		}
		return nil, nil
	}
	for _, tt := range []struct {
		label, want string
		looked      []string
	}{
		{label: ""},
		{label: "often", looked: []string{"etl/often"},
			want: `quota: ScheduledSparkApplication "often" starts a run as often as every 10s (schedule "@every 10s"); namespace "etl" allows no less than 60s between submissions (ClusterOverrides layer "interval")`},
		{label: "daily", looked: []string{"etl/daily"}},
		{label: "deleted", looked: []string{"etl/deleted"}},
	} {
		looked = nil
		app := composedApp(t, c, nil)
		if tt.label != "" {
			app.Labels = map[string]string{sparkv1beta2.ScheduledAppNameLabel: tt.label}
		}
		if got := appVerdict(t, c, app); got != tt.want || !slices.Equal(looked, tt.looked) {
			t.Errorf("run of %q: %q, looked up %q; want %q, %q", tt.label, got, looked, tt.want, tt.looked)
		}
	}
	app := composedApp(t, c, nil)
	app.Labels = map[string]string{sparkv1beta2.ScheduledAppNameLabel: "unreadable"}
	if _, _, err := c.App(context.Background(), app, Request{Operation: "CREATE"}, nil); err == nil || !strings.Contains(err.Error(), "the API server is away") {
		t.Errorf("an unreadable schedule: %v, want its error", err)
	}
}

// TestSchedulesIn: the lookup the webhook and the composer share reads
// spec.schedule of the ScheduledSparkApplication; none is nil; a
// schedule that is not a string is an error naming it.
func TestSchedulesIn(t *testing.T) {
	schedule := func(name string, value any) *unstructured.Unstructured {
		u := &unstructured.Unstructured{Object: map[string]any{"spec": map[string]any{"schedule": value}}}
		u.SetAPIVersion(sparkv1beta2.APIVersion)
		u.SetKind(sparkv1beta2.ScheduledKind)
		u.SetNamespace("etl")
		u.SetName(name)
		return u
	}
	r := fake.NewClientBuilder().WithObjects(schedule("often", "@every 10s"), schedule("odd", int64(5))).Build()
	lookup := SchedulesIn(r)
	ctx := context.Background()
	if s, err := lookup(ctx, "etl", "often"); err != nil || s == nil || *s != (sparkv1beta2.Schedule{Name: "often", Cron: "@every 10s"}) {
		t.Errorf("often: %+v, %v", s, err)
	}
	if s, err := lookup(ctx, "geo", "often"); err != nil || s != nil {
		t.Errorf("another namespace's: %+v, %v; want none", s, err)
	}
	if _, err := lookup(ctx, "etl", "odd"); err == nil || !strings.Contains(err.Error(), "ScheduledSparkApplication etl/odd: spec.schedule") {
		t.Errorf("a schedule that is no string: %v", err)
	}
}
