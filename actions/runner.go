package actions

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"
)

// Chunk is a piece of live output: usually one line, already redacted.
type Chunk struct {
	Stream string // "stdout", "stderr" or "sitrep" for sitrep's own notes
	Text   string
}

// Result is how a run (or a dry run) ended.
type Result struct {
	OK        bool
	ExitCode  int // the process's exit code, the HTTP status, or -1
	Duration  time.Duration
	Text      string // "exit 0", "HTTP 201 Created", "timed out after 30s", "cancelled"
	Output    string // capped at MaxOutput and redacted
	TimedOut  bool
	Cancelled bool
	// Summary is the Ansible per-host summary, when the runner is ansible.
	Summary *AnsibleSummary
}

// Preview is what a runner will do, for the preview pane. It holds no
// secret: secret values show as ***.
type Preview struct {
	Runner  string
	Command []string // argv, or method and URL
	Env     []string // names of the variables passed
	Body    string   // request body, if any
	Target  string
	// DryRun is the dry run's command, or why there is none.
	DryRun     []string
	DryRunNote string
}

// Runner runs one prepared action. Run and DryRun stream output through
// out as it comes (out may be nil) and return when the work has ended.
type Runner interface {
	Preview() Preview
	HasDryRun() bool
	DryRun(ctx context.Context, out func(Chunk)) Result
	Run(ctx context.Context, out func(Chunk)) Result
}

// MaxOutput is the most output a run keeps and streams.
const MaxOutput = 1 << 20

// TruncatedMarker ends output that hit MaxOutput.
const TruncatedMarker = "\n[sitrep: output truncated at 1 MiB]\n"

// capture collects redacted output up to MaxOutput and forwards it live.
type capture struct {
	mu        sync.Mutex
	b         strings.Builder
	truncated bool
	red       *Redactor
	out       func(Chunk)
}

func (c *capture) add(stream, text string) {
	c.mu.Lock()
	done := c.truncated
	c.mu.Unlock()
	if done {
		return // keep draining the pipe, but nothing more is kept
	}
	text = c.red.Redact(text)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.truncated {
		return
	}
	if room := MaxOutput - c.b.Len(); len(text) > room {
		text = text[:room]
		c.truncated = true
	}
	c.b.WriteString(text)
	if c.out != nil && text != "" {
		c.out(Chunk{Stream: stream, Text: text})
	}
	if c.truncated {
		c.b.WriteString(TruncatedMarker)
		if c.out != nil {
			c.out(Chunk{Stream: "sitrep", Text: TruncatedMarker})
		}
	}
}

func (c *capture) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.b.String()
}

func fmtSeconds(d time.Duration) string {
	return fmt.Sprintf("%.1f s", d.Seconds())
}
