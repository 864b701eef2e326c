package journal

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"syscall"
	"time"

	"sitrep/sources/sanitize"
)

// bbolt locks the journal with flock, which cannot say who holds it. So a
// writer records itself in a sidecar file (<journal>.owner) once it has the
// lock, and a process that times out on the lock reads it back. On Linux
// /proc/locks is consulted too: it names every holder, readers included,
// and is never stale.

type owner struct {
	PID     int       `json:"pid"`
	Since   time.Time `json:"since"`
	Started time.Time `json:"started,omitzero"`
	Command string    `json:"command,omitempty"`
}

func ownerPath(path string) string { return path + ".owner" }

// writeOwner records this process as the journal's writer. Failing to is
// not fatal: it only makes a later lock message less precise.
func writeOwner(path string) string {
	o := owner{PID: os.Getpid(), Since: time.Now().UTC(), Started: processStart, Command: commandName(os.Getpid())}
	b, err := json.Marshal(o)
	if err != nil {
		return ""
	}
	p := ownerPath(path)
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return ""
	}
	if err := os.Rename(tmp, p); err != nil {
		_ = os.Remove(tmp)
		return ""
	}
	return p
}

// removeOwner removes the sidecar if it still names this process.
func removeOwner(p string) {
	if o, ok := readOwner(p); ok && o.PID == os.Getpid() {
		_ = os.Remove(p)
	}
}

func readOwner(p string) (owner, bool) {
	var o owner
	b, err := os.ReadFile(p)
	if err != nil || len(b) > 4096 {
		return o, false
	}
	if json.Unmarshal(b, &o) != nil || o.PID <= 0 {
		return o, false
	}
	return o, true
}

var processStart = time.Now().UTC()

// lockHolder is one process holding a flock on the journal.
type lockHolder struct {
	PID   int
	Write bool
}

// lockedError explains who holds the journal and what to do.
func lockedError(path string, readOnly bool) error {
	holders := procLockHolders(path)
	o, haveOwner := readOwner(ownerPath(path))
	var who string
	writer := !readOnly // a read-only open only conflicts with a writer
	switch {
	case len(holders) > 0:
		var parts []string
		for _, h := range holders {
			mode := "reading"
			if h.Write {
				mode = "writing"
				writer = true
			}
			detail := fmt.Sprintf("pid %d, %s", h.PID, mode)
			if haveOwner && o.PID == h.PID {
				detail += " since " + o.Since.Format(time.RFC3339)
			}
			parts = append(parts, fmt.Sprintf("%s (%s)", orDefault(commandName(h.PID), "a process"), detail))
		}
		who = strings.Join(parts, "; ")
	case haveOwner && processAlive(o.PID):
		who = fmt.Sprintf("%s (pid %d, writing since %s)", orDefault(sanitize.Line(o.Command), "sitrep"), o.PID, o.Since.Format(time.RFC3339))
	default:
		who = "another process"
	}
	if readOnly {
		return fmt.Errorf("%w: journal %s is open for writing by %s. A read-only open cannot share the file with a writer "+
			"(bbolt locks the whole file); close that sitrep and try again", ErrLocked, path, who)
	}
	hint := "start this one with --read-only to look without writing, or close the other"
	if !writer {
		hint = "it is open read-only there; close it to write, or start this one with --read-only too"
	}
	return fmt.Errorf("%w: journal %s is held by %s; %s (or use --journal to pick another file)", ErrLocked, path, who, hint)
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// commandName returns the process's command name where /proc has it.
func commandName(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	if err != nil {
		return ""
	}
	// A process names itself (prctl PR_SET_NAME): its comm is as
	// untrusted as any outside text before it reaches a terminal.
	return sanitize.Line(string(b))
}

func processAlive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	return p.Signal(syscall.Signal(0)) == nil
}
