package proc

import (
	"os"
	"os/exec"
	"testing"
	"time"
)

func TestCPUOf(t *testing.T) {
	for _, tt := range []struct {
		name, stat string
		want       time.Duration
		fails      bool
	}{
		{name: "plain", stat: "42 (etcd) S 1 42 42 0 -1 4194560 100 0 0 0 250 130 0 0 20 0 8 0 100 0 0",
			want: 3800 * time.Millisecond},
		{name: "a command name with spaces and parentheses", stat: "7 (a (b) c) R 1 7 7 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 1 0 0",
			want: 30 * time.Millisecond},
		{name: "truncated", stat: "7 (x) R 1 7 7 0 -1 0 0 0 0 0 1", fails: true},
		{name: "no command name", stat: "7 x R 1 7 7 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 1 0 0", fails: true},
		{name: "not a number", stat: "7 (x) R 1 7 7 0 -1 0 0 0 0 0 one 2 0 0 20 0 1 0 1 0 0", fails: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := cpuOf([]byte(tt.stat))
			if tt.fails {
				if err == nil {
					t.Fatalf("cpuOf(%q) = %v, want an error", tt.stat, got)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("cpuOf(%q) = %v, %v; want %v", tt.stat, got, err, tt.want)
			}
		})
	}
}

// TestReadSelf burns CPU until Read sees it grow (the kernel counts it in
// ticks, so a busy machine may take a while), and at most ten seconds.
func TestReadSelf(t *testing.T) {
	before, err := Read(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	after := before
	for start := time.Now(); after.CPU <= before.CPU && time.Since(start) < 10*time.Second; {
		for spin := time.Now(); time.Since(spin) < 20*time.Millisecond; {
		}
		if after, err = Read(os.Getpid()); err != nil {
			t.Fatal(err)
		}
	}
	if after.CPU <= before.CPU || after.RSS <= 0 || after.PeakRSS < after.RSS {
		t.Errorf("before %+v, after %+v: CPU must grow, RSS be set and under its peak", before, after)
	}
	if _, err := Read(0); err == nil {
		t.Error("Read(0) gave no error")
	}
}

func TestChild(t *testing.T) {
	cmd := exec.Command("sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Skipf("no sleep to start: %v", err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	pid, err := Child(os.Getpid(), "sleep")
	if err != nil || pid != cmd.Process.Pid {
		t.Fatalf("Child = %d, %v; want %d", pid, err, cmd.Process.Pid)
	}
	if pid, err := Child(os.Getpid(), "no-such-command"); err == nil {
		t.Fatalf("Child found %d for a command never started", pid)
	}
	second := exec.Command("sleep", "30")
	if err := second.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = second.Process.Kill(); _ = second.Wait() }()
	if pid, err := Child(os.Getpid(), "sleep"); err == nil {
		t.Fatalf("Child chose %d of two children of the same name", pid)
	}
}
