package actions

import "time"

// Record is what the journal keeps of one step of one action run. Every step
// of a run shares its RunID; the journal entry's kind is "action." + Step.
// The post-mortem's "Actions taken" table is rebuilt from these records, so
// a field here is a promise that the export can explain it.
type Record struct {
	RunID string `json:"run_id"`
	// Incident is the PagerDuty incident the run was for: the audit trail
	// is traceable to it.
	Incident string `json:"incident,omitempty"`
	Step     string `json:"step"`
	Action   string `json:"action"`
	Title    string `json:"title,omitempty"`
	Explain  string `json:"explain,omitempty"`
	Runner   string `json:"runner,omitempty"` // exec, ansible, http, pagerduty
	Target   string `json:"target,omitempty"` // usually the service
	Env      string `json:"env,omitempty"`
	// Command is the exact argv, or the HTTP method and URL, as it ran.
	Command []string `json:"command,omitempty"`
	// BlastRadius names the hosts or instances touched, and Limit the most
	// the guards allow.
	BlastRadius []string `json:"blast_radius,omitempty"`
	Limit       string   `json:"limit,omitempty"`

	DryRun   string `json:"dry_run,omitempty"` // summary of the dry run, or why there is none
	DryRunOK *bool  `json:"dry_run_ok,omitempty"`

	Verdict   string `json:"verdict,omitempty"`    // allowed / blocked, with the reason
	BlockedBy string `json:"blocked_by,omitempty"` // the guard rule that blocked

	ConfirmedBy string `json:"confirmed_by,omitempty"`
	// ApprovedBy is the second person whose approval the run needed (the
	// author of the approval note in PagerDuty), ApprovedAt when, and
	// ApprovalRequest the request's ID.
	ApprovedBy      string     `json:"approved_by,omitempty"`
	ApprovedAt      *time.Time `json:"approved_at,omitempty"`
	ApprovalRequest string     `json:"approval_request,omitempty"`

	Result     string `json:"result,omitempty"` // exit 0, HTTP 200, timed out, cancelled
	ExitCode   *int   `json:"exit_code,omitempty"`
	DurationMS int64  `json:"duration_ms,omitempty"`
	Output     string `json:"output,omitempty"`  // capped and redacted
	Outcome    string `json:"outcome,omitempty"` // helped, no effect, worse, unknown

	// Effect is the service's metrics before and after the run.
	Effect []MetricChange `json:"effect,omitempty"`
}

// Steps of a run, in the order they happen.
const (
	StepPreviewed = "previewed"
	StepBlocked   = "blocked"
	StepConfirmed = "confirmed"
	StepStarted   = "started"
	StepOutput    = "output"
	StepFinished  = "finished"
	StepFailed    = "failed"
	StepTimedOut  = "timed_out"
	StepCancelled = "cancelled"
	// StepInterrupted is written at the next start for a run that sitrep
	// died during: its processes died with it, its effect is unknown.
	StepInterrupted = "interrupted"
	StepOutcome     = "outcome"
	StepEffect      = "effect"
)

// ResultInterrupted is the result of a run that sitrep died during.
const ResultInterrupted = "interrupted — effect unknown"

// MetricChange is one metric's value in a window before an action and in
// the same window after it ("5xx rate 0.31 → 0.01").
// A metric that could not be read in one of the windows has NoData set to
// why ("no data after the action: no series in 03:02:00–03:04:00"), and
// holds only the value it did read: it is listed, not compared, and does
// not stop the other metrics from being compared.
type MetricChange struct {
	Name   string    `json:"name"`
	Unit   string    `json:"unit,omitempty"`
	Before float64   `json:"before"`
	After  float64   `json:"after"`
	At     time.Time `json:"at"`
	NoData string    `json:"no_data,omitempty"`
}
