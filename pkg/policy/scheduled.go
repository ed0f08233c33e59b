package policy

import (
	"context"
	"fmt"
	"strings"

	"github.com/strata-dev/strata/pkg/mutate/sparkv1beta2"
)

// ScheduledRun judges a ScheduledSparkApplication, schedule, at submission
// by run, the SparkApplication each of its runs is (sparkv1beta2.RunOf)
// composed with the layers (mutate.ComposeApp), as the mutating webhook
// composes it when the operator creates it. The run is judged as App
// judges an application, in a namespace that runs nothing else: a
// schedule whose every run would be refused (a pod over its size limit,
// more executors than an app may run, an app over its namespace's totals
// on its own) is refused when it is written, not at each run; what is
// live when a run starts is judged then, when the operator creates it.
// How often the operator starts a run is judged with it
// (input.application.schedule). The run is judged with what the operator's
// defaulting webhook will write on it (OperatorDefaults), as the
// SparkApplication webhook will see it. Each violation's message ends
// naming the schedule; it starts, as every denial does, with the policy's
// name.
//
// An error is an internal failure, never a verdict.
func (c *Check) ScheduledRun(ctx context.Context, schedule sparkv1beta2.Schedule, run *sparkv1beta2.SparkApplication, req Request) (Decision, error) {
	_, d, err := c.app(ctx, submitted(OperatorDefaults(run)), req, NewTracker(), newScheduleDocument(schedule))
	if err != nil {
		return Decision{}, err
	}
	named := fmt.Sprintf("ScheduledSparkApplication %q", schedule.Name)
	for i := range d.Violations {
		if !strings.Contains(d.Violations[i].Message, named) {
			d.Violations[i].Message += EachRun(schedule)
		}
	}
	return d, nil
}

// EachRun is how a message about the run of schedule ends
// (sparkv1beta2.Schedule.EachRun).
func EachRun(schedule sparkv1beta2.Schedule) string { return schedule.EachRun() }
