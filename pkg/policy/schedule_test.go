package policy

import (
	"github.com/robfig/cron/v3"
	"strings"

	"testing"
	"time"
)

// TestLeastRunInterval: a schedule's least gap between two runs, as the
// operator's cron reads it; what cron refuses (which the operator never
// runs) is not ok, including a zone without a space, on which cron panics.
func TestLeastRunInterval(t *testing.T) {
	for _, tt := range []struct {
		schedule string
		want     time.Duration
		ok       bool
	}{
		{"@every 1s", time.Second, true},
		{"@every 1500ms", time.Second, true},
		{"@every 0s", time.Second, true},
		{"@every -5m", time.Second, true},
		{"@every 2h", 2 * time.Hour, true},
		{"  @every 30s  ", 30 * time.Second, true},
		{"CRON_TZ=Europe/Berlin @every 5s", 5 * time.Second, true},
		{"TZ=No/Such_Zone @every 5s", 5 * time.Second, true}, // the zone is not this check's to load
		{"* * * * *", time.Minute, true},
		{"*/5 * * * *", 5 * time.Minute, true},
		{"0,1 * * * *", time.Minute, true},
		{"0,30 * * * *", 30 * time.Minute, true},
		{"0 * * * *", time.Hour, true},
		{"@hourly", time.Hour, true},
		{"0 3 * * *", 24 * time.Hour, true},
		{"@daily", 24 * time.Hour, true},
		{"@weekly", 24 * time.Hour, true}, // counted as if it ran every day
		{"50 23 * * *", 24 * time.Hour, true},
		{"59 23,0 * * *", time.Hour, true},
		{"0 22 * * *", 24 * time.Hour, true},
		{"58,59 23 * * *", time.Minute, true},
		{"10 0,23 * * *", time.Hour, true}, // 23:10 to 00:10 the next day
		{"50 0 * * *", 24 * time.Hour, true},
		{"0-59/0 * * * *", 0, false},
		{"* * * *", 0, false},
		{"* * * * * *", 0, false}, // seconds: not the standard parser's
		{"61 * * * *", 0, false},
		{"@every", 0, false},
		{"@every soon", 0, false},
		{"@often", 0, false},
		{"", 0, false},
		{"TZ=UTC", 0, false},
		{"CRON_TZ=UTC\t@every 1s", 0, false},
		{" TZ=", 0, false},                      // after the operator's zone, no schedule (cron alone would panic)
		{" TZ=UTC @every 1s", 0, false},         // a zone only leads the schedule
		{" @every 10s", 10 * time.Second, true}, // leading space, trimmed by cron after the operator's zone
	} {
		got, ok := leastRunInterval(tt.schedule)
		if got != tt.want || ok != tt.ok {
			t.Errorf("leastRunInterval(%q) = %v, %v; want %v, %v", tt.schedule, got, ok, tt.want, tt.ok)
		}
	}
}

// TestLeastRunIntervalIsNoMoreThanCron: for every schedule, the least
// interval is no more than any gap between two runs cron gives over two
// days, and equal to the least of them when the schedule runs every day.
func TestLeastRunIntervalIsNoMoreThanCron(t *testing.T) {
	for _, schedule := range []string{"*/7 */5 * * *", "13,47 1-3,22 * * *", "0 0 * * 1", "5 4 1,15 * *", "*/25 9-17 * * MON-FRI", "59 23 * * *", "0,59 0,23 * * *"} {
		least, ok := leastRunInterval(schedule)
		if !ok {
			t.Fatalf("%q: not ok", schedule)
		}
		s, err := parseForTest(schedule)
		if err != nil {
			t.Fatal(err)
		}
		smallest := time.Duration(1 << 62)
		at := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC) // a Monday
		for prev := s.Next(at); prev.Before(at.Add(14 * 24 * time.Hour)); {
			next := s.Next(prev)
			smallest = min(smallest, next.Sub(prev))
			prev = next
		}
		everyDay := strings.HasSuffix(schedule, " * * *")
		if least > smallest || (everyDay && least != smallest) {
			t.Errorf("%q: least %v, cron's %v", schedule, least, smallest)
		}
	}
}

func parseForTest(schedule string) (interface{ Next(time.Time) time.Time }, error) {
	return cron.ParseStandard(schedule)
}

// FuzzLeastRunInterval: any schedule a tenant writes is read without a
// panic, and one the operator runs gives an interval between a second and
// a day.
func FuzzLeastRunInterval(f *testing.F) {
	for _, s := range []string{"@every 1s", "*/5 * * * *", "TZ=UTC", "CRON_TZ=Europe/Berlin 0 3 * * *", "0-59/0 * * * *", "@every 9999999h", "59 23 * * SUN", " TZ=", " CRON_TZ=x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, schedule string) {
		least, ok := leastRunInterval(schedule)
		if ok && !strings.Contains(schedule, "@every") && (least < time.Minute || least > 24*time.Hour) {
			t.Errorf("%q: %v", schedule, least)
		}
		if ok && least < time.Second {
			t.Errorf("%q: %v", schedule, least)
		}
	})
}
