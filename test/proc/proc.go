package proc

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Stats is what a process has used so far.
type Stats struct {
	// CPU is its user and system time.
	CPU time.Duration
	// RSS and PeakRSS are its resident memory now and at its peak, in
	// bytes.
	RSS, PeakRSS int64
}

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat's times: 100 on
// every Linux architecture Go supports.
const clockTicks = 100

// Read reads the process pid's Stats.
func Read(pid int) (Stats, error) {
	var s Stats
	if pid <= 0 {
		return s, fmt.Errorf("process id %d", pid)
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return s, err
	}
	if s.CPU, err = cpuOf(stat); err != nil {
		return s, fmt.Errorf("/proc/%d/stat: %w", pid, err)
	}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return s, err
	}
	for line := range strings.SplitSeq(string(status), "\n") {
		name, value, _ := strings.Cut(line, ":")
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(value), " kB"), 10, 64)
		if err != nil {
			continue
		}
		switch name {
		case "VmHWM":
			s.PeakRSS = kb << 10
		case "VmRSS":
			s.RSS = kb << 10
		}
	}
	return s, nil
}

// cpuOf is the user and system time of a /proc/<pid>/stat line. The
// command name (field 2, in parentheses) may hold spaces and parentheses;
// the fields after its last ")" are fixed: utime and stime are the 14th
// and 15th of the line.
func cpuOf(stat []byte) (time.Duration, error) {
	end := bytes.LastIndexByte(stat, ')')
	if end < 0 {
		return 0, errors.New("no command name")
	}
	fields := strings.Fields(string(stat[end+1:]))
	if len(fields) < 13 {
		return 0, fmt.Errorf("%d fields after the command name, want at least 13", len(fields))
	}
	utime, err1 := strconv.ParseInt(fields[11], 10, 64)
	stime, err2 := strconv.ParseInt(fields[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	return time.Duration(utime+stime) * time.Second / clockTicks, nil
}

// Child is the process id of the child of parent whose command name
// (/proc/<pid>/comm) is name; an error when there is none or more than one.
func Child(parent int, name string) (int, error) {
	stats, err := filepath.Glob("/proc/[0-9]*/stat")
	if err != nil {
		return 0, err
	}
	var found []int
	for _, path := range stats {
		stat, err := os.ReadFile(path)
		if err != nil {
			continue // gone since the glob
		}
		comm, ppid, ok := commAndParent(stat)
		if ok && ppid == parent && comm == name {
			pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(path)))
			found = append(found, pid)
		}
	}
	switch len(found) {
	case 0:
		return 0, fmt.Errorf("process %d has no child %q", parent, name)
	case 1:
		return found[0], nil
	}
	return 0, fmt.Errorf("process %d has %d children %q: %v", parent, len(found), name, found)
}

// commAndParent are the command name (truncated to 15 bytes by the kernel,
// as comm is) and the parent's process id of a /proc/<pid>/stat line.
func commAndParent(stat []byte) (string, int, bool) {
	start, end := bytes.IndexByte(stat, '('), bytes.LastIndexByte(stat, ')')
	if start < 0 || end < start {
		return "", 0, false
	}
	fields := strings.Fields(string(stat[end+1:]))
	if len(fields) < 2 {
		return "", 0, false
	}
	ppid, err := strconv.Atoi(fields[1])
	if err != nil {
		return "", 0, false
	}
	return string(stat[start+1 : end]), ppid, true
}
