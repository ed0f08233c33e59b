package policy

import (
	"context"
	"fmt"

	"github.com/strata-dev/strata/pkg/mutate"
	"github.com/strata-dev/strata/pkg/mutate/sparkv1beta2"
)

// ScheduledRun judges a ScheduledSparkApplication at submission by the
// SparkApplication each of its runs is (sparkv1beta2.RunOf): composed with
// the layers as the mutating webhook will compose it when the operator
// creates it, then judged as App judges an application, in a namespace
// that runs nothing else. So a schedule whose every run would be refused
// (a pod over its size limit, more executors than an app may run, an app
// over its namespace's totals on its own) is refused when it is written,
// not at each run; what is live when a run starts is judged then, when
// the operator creates it. Each violation's message ends naming the
// schedule; it starts, as every denial does, with the policy's name.
//
// It returns the run's composition and the decision; an error is an
// internal failure, never a verdict.
func (c *Check) ScheduledRun(ctx context.Context, schedule string, run *sparkv1beta2.Object, req Request) (*mutate.AppResult, Decision, error) {
	composed, err := mutate.ComposeApp(c.Snapshot, c.Cluster, run)
	if err != nil {
		return nil, Decision{}, fmt.Errorf("composing the run of ScheduledSparkApplication %q: %w", schedule, err)
	}
	if req.Namespace == "" {
		req.Namespace = run.App.Namespace
	}
	_, d, err := c.App(ctx, &composed.App.App, req, NewTracker())
	if err != nil {
		return nil, Decision{}, err
	}
	for i := range d.Violations {
		d.Violations[i].Message += fmt.Sprintf(" (each run of ScheduledSparkApplication %q)", schedule)
	}
	return composed, d, nil
}
