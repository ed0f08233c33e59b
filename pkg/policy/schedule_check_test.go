package policy

import (
	"context"
	"strings"
	"testing"

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
			want: `quota: schedule "CRON_TZ=Europe/Berlin @every 10s" starts a run as often as every 10s` + limit + ` (each run of ScheduledSparkApplication "s")`},
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
