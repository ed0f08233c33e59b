package policy

import (
	"context"
	"fmt"
	"math/bits"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/strata-dev/strata/pkg/mutate/sparkv1beta2"
)

// ScheduleLookup finds the ScheduledSparkApplication name of namespace:
// nil and no error when there is none.
type ScheduleLookup func(ctx context.Context, namespace, name string) (*sparkv1beta2.Schedule, error)

// SchedulesIn is a ScheduleLookup reading r: the webhook's API reader, or
// the composer's cluster. A cluster that does not serve
// ScheduledSparkApplications has none.
func SchedulesIn(r client.Reader) ScheduleLookup {
	return func(ctx context.Context, namespace, name string) (*sparkv1beta2.Schedule, error) {
		u := &unstructured.Unstructured{}
		u.SetAPIVersion(sparkv1beta2.APIVersion)
		u.SetKind(sparkv1beta2.ScheduledKind)
		switch err := r.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, u); {
		case apierrors.IsNotFound(err) || meta.IsNoMatchError(err):
			return nil, nil
		case err != nil:
			return nil, fmt.Errorf("reading ScheduledSparkApplication %s/%s: %w", namespace, name, err)
		}
		schedule, _, err := unstructured.NestedString(u.Object, "spec", "schedule")
		if err != nil {
			return nil, fmt.Errorf("ScheduledSparkApplication %s/%s: spec.schedule: %w", namespace, name, err)
		}
		return &sparkv1beta2.Schedule{Name: name, Cron: schedule}, nil
	}
}

// scheduleOf is input.application.schedule of app, when c.Schedules finds
// the ScheduledSparkApplication its ScheduledAppNameLabel names in
// namespace: app is taken for one of its runs, as the operator labels
// them, so how often it runs is judged with each run, whenever the
// schedule was written. A tenant that labels an application of its own so
// only judges it by that schedule too.
func (c *Check) scheduleOf(ctx context.Context, app *sparkv1beta2.SparkApplication, namespace string) (*scheduleDocument, error) {
	name := app.Labels[sparkv1beta2.ScheduledAppNameLabel]
	if name == "" || c.Schedules == nil {
		return nil, nil
	}
	s, err := c.Schedules(ctx, namespace, name)
	if err != nil || s == nil {
		return nil, err
	}
	return newScheduleDocument(*s), nil
}

// leastRunInterval is the least time between two runs of a
// ScheduledSparkApplication's spec.schedule, read as the operator's
// scheduled controller reads it (robfig/cron's ParseStandard, the parser
// and version the operator uses, so no spelling reads differently here):
//
//   - "@every D": D, as cron rounds it (down to whole seconds, at least 1s);
//   - a cron expression or another descriptor: the least gap between two of
//     its times of day, or from the last of a day to the first of the next,
//     counted as if it ran every day. The days it skips only lengthen gaps,
//     so this never says more than the schedule gives.
//
// ok is false when the operator cannot run the schedule at all: cron does
// not parse it. A leading time zone (CRON_TZ= or TZ=) is set aside rather
// than loaded: a zone moves runs, it does not bring two closer (but at a
// daylight saving change, once a year), and a zone this process cannot
// load must not make a schedule the operator runs read as one it does not.
func leastRunInterval(schedule string) (least time.Duration, ok bool) {
	spec := schedule
	if strings.HasPrefix(spec, "TZ=") || strings.HasPrefix(spec, "CRON_TZ=") {
		// cron takes the zone up to the first space, and panics without
		// one: the operator never runs such a schedule.
		i := strings.IndexByte(spec, ' ')
		if i < 0 {
			return 0, false
		}
		spec = spec[i:]
	}
	// As the operator passes a schedule without a zone: after one of its
	// own, so cron reads no zone in what follows (" TZ=" is no schedule,
	// and would make cron panic read alone).
	parsed, err := cron.ParseStandard("CRON_TZ=UTC " + spec)
	if err != nil {
		return 0, false
	}
	switch s := parsed.(type) {
	case cron.ConstantDelaySchedule:
		return s.Delay, true
	case *cron.SpecSchedule:
		return leastGapOfDay(s.Hour, s.Minute)
	}
	return 0, false
}

// starBit is the bit cron sets on a field written "*" (SpecSchedule).
const starBit = 1 << 63

// leastGapOfDay is the least gap between two of the times of day the hours
// and minutes given as cron's bit sets make, the last of a day followed
// by the first of the next.
func leastGapOfDay(hours, minutes uint64) (time.Duration, bool) {
	hours, minutes = hours&^starBit&(1<<24-1), minutes&^starBit&(1<<60-1)
	if hours == 0 || minutes == 0 {
		return 0, false
	}
	const day = 24 * 60
	first, last, least := -1, -1, day
	for h := hours; h != 0; h &= h - 1 {
		hour := bits.TrailingZeros64(h)
		for m := minutes; m != 0; m &= m - 1 {
			at := hour*60 + bits.TrailingZeros64(m)
			if first < 0 {
				first = at
			} else {
				least = min(least, at-last)
			}
			last = at
		}
	}
	least = min(least, day-last+first)
	return time.Duration(least) * time.Minute, true
}
