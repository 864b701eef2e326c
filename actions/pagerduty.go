package actions

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// PagerDutyWriter is the writes sitrep makes to an incident.
// sources/pagerduty's client implements it; tests use a fake.
type PagerDutyWriter interface {
	Reassign(ctx context.Context, incidentID, userID string) error
	Escalate(ctx context.Context, incidentID string, level uint) error
	Snooze(ctx context.Context, incidentID string, d time.Duration) error
	Merge(ctx context.Context, incidentID string, sourceIDs []string) error
	SetUrgency(ctx context.Context, incidentID, urgency string) error
	SetPriority(ctx context.Context, incidentID, priorityID string) error
	AddResponder(ctx context.Context, incidentID, userID, message string) error
	StatusUpdate(ctx context.Context, incidentID, message string) error
	AddNote(ctx context.Context, incidentID, content string) error
}

// PolicyRouter reassigns an incident to an escalation policy, whose first
// level is then paged. sources/pagerduty's client implements it; a writer
// without it cannot route.
type PolicyRouter interface {
	ReassignToPolicy(ctx context.Context, incidentID, policyID string) error
}

// PDRequest is the REST request a PagerDuty operation makes, for previews.
type PDRequest struct {
	Method string
	Path   string
	Body   string
}

// PagerDutyRunner performs one write on an incident.
type PagerDutyRunner struct {
	Op         string
	IncidentID string
	Args       map[string]string // rendered and checked
	Writer     PagerDutyWriter
	Timeout    time.Duration
	Redactor   *Redactor
}

// pdCall is an operation's arguments, parsed.
type pdCall struct {
	req PDRequest
	do  func(ctx context.Context, w PagerDutyWriter) error
}

// BuildPagerDutyCall checks an operation's arguments and returns the REST
// request it makes.
func BuildPagerDutyCall(op, incidentID string, args map[string]string) (PDRequest, error) {
	c, err := pdBuild(op, incidentID, args)
	return c.req, err
}

func pdBody(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func pdBuild(op, id string, a map[string]string) (pdCall, error) {
	if id == "" {
		return pdCall{}, fmt.Errorf("pagerduty %s needs the incident's ID", op)
	}
	path := "/incidents/" + id
	ref := func(kind, v string) map[string]string { return map[string]string{"id": v, "type": kind} }
	switch op {
	case PDReassign:
		u := a["user_id"]
		return pdCall{
			req: PDRequest{"PUT", path, pdBody(map[string]any{"incident": map[string]any{"type": "incident_reference",
				"assignments": []any{map[string]any{"assignee": ref("user_reference", u)}}}})},
			do: func(ctx context.Context, w PagerDutyWriter) error { return w.Reassign(ctx, id, u) },
		}, nil
	case PDEscalate:
		lvl, err := strconv.ParseUint(a["level"], 10, 8)
		if err != nil || lvl < 1 {
			return pdCall{}, fmt.Errorf("escalate: level %q is not a positive number", a["level"])
		}
		return pdCall{
			req: PDRequest{"PUT", path, pdBody(map[string]any{"incident": map[string]any{"type": "incident_reference", "escalation_level": lvl}})},
			do:  func(ctx context.Context, w PagerDutyWriter) error { return w.Escalate(ctx, id, uint(lvl)) },
		}, nil
	case PDSnooze:
		d, err := time.ParseDuration(a["duration"])
		if err != nil || d < time.Minute || d > 7*24*time.Hour {
			return pdCall{}, fmt.Errorf("snooze: duration %q must be between 1m and 168h", a["duration"])
		}
		return pdCall{
			req: PDRequest{"POST", path + "/snooze", pdBody(map[string]any{"duration": int(d.Seconds())})},
			do:  func(ctx context.Context, w PagerDutyWriter) error { return w.Snooze(ctx, id, d) },
		}, nil
	case PDMerge:
		ids := splitList(a["source_ids"])
		if len(ids) == 0 {
			return pdCall{}, fmt.Errorf("merge: no source incident IDs")
		}
		var refs []any
		for _, s := range ids {
			refs = append(refs, ref("incident_reference", s))
		}
		return pdCall{
			req: PDRequest{"PUT", path + "/merge", pdBody(map[string]any{"source_incidents": refs})},
			do:  func(ctx context.Context, w PagerDutyWriter) error { return w.Merge(ctx, id, ids) },
		}, nil
	case PDUrgency:
		u := a["urgency"]
		if u != "high" && u != "low" {
			return pdCall{}, fmt.Errorf("urgency: %q must be high or low", u)
		}
		return pdCall{
			req: PDRequest{"PUT", path, pdBody(map[string]any{"incident": map[string]any{"type": "incident_reference", "urgency": u}})},
			do:  func(ctx context.Context, w PagerDutyWriter) error { return w.SetUrgency(ctx, id, u) },
		}, nil
	case PDPriority:
		p := a["priority_id"]
		return pdCall{
			req: PDRequest{"PUT", path, pdBody(map[string]any{"incident": map[string]any{"type": "incident_reference", "priority": ref("priority_reference", p)}})},
			do:  func(ctx context.Context, w PagerDutyWriter) error { return w.SetPriority(ctx, id, p) },
		}, nil
	case PDAddResponder:
		u, m := a["user_id"], a["message"]
		return pdCall{
			req: PDRequest{"POST", path + "/responder_requests", pdBody(map[string]any{"message": m,
				"responder_request_targets": []any{map[string]any{"responder_request_target": ref("user_reference", u)}}})},
			do: func(ctx context.Context, w PagerDutyWriter) error { return w.AddResponder(ctx, id, u, m) },
		}, nil
	case PDRoute:
		p, m := a["escalation_policy_id"], a["message"]
		if p == "" || m == "" {
			return pdCall{}, fmt.Errorf("route: needs escalation_policy_id and the message that says why")
		}
		return pdCall{
			req: PDRequest{"PUT", path, pdBody(map[string]any{"incident": map[string]any{"type": "incident_reference",
				"escalation_policy": ref("escalation_policy_reference", p)}})},
			do: func(ctx context.Context, w PagerDutyWriter) error {
				r, ok := w.(PolicyRouter)
				if !ok {
					return fmt.Errorf("route: this PagerDuty connection cannot reassign to an escalation policy")
				}
				if err := r.ReassignToPolicy(ctx, id, p); err != nil {
					return err
				}
				// The note says why; it follows the reassignment, so a
				// failed reassignment leaves no note claiming it.
				if err := w.AddNote(ctx, id, m); err != nil {
					return fmt.Errorf("reassigned %s to escalation policy %s, but the note saying why failed: %w", id, p, err)
				}
				return nil
			},
		}, nil
	case PDStatusUpdate:
		m := a["message"]
		return pdCall{
			req: PDRequest{"POST", path + "/status_updates", pdBody(map[string]any{"message": m})},
			do:  func(ctx context.Context, w PagerDutyWriter) error { return w.StatusUpdate(ctx, id, m) },
		}, nil
	}
	return pdCall{}, fmt.Errorf("unknown pagerduty op %q", op)
}

// Preview implements Runner.
func (r *PagerDutyRunner) Preview() Preview {
	p := Preview{Runner: RunnerPagerDuty, Target: "incident " + r.IncidentID,
		DryRunNote: "PagerDuty writes have no dry run: the request above is exactly what will be sent"}
	req, err := BuildPagerDutyCall(r.Op, r.IncidentID, r.Args)
	if err != nil {
		p.Command = []string{"invalid: " + err.Error()}
		return p
	}
	p.Command = []string{req.Method + " " + req.Path}
	p.Body = r.Redactor.Redact(req.Body)
	return p
}

// HasDryRun implements Runner.
func (r *PagerDutyRunner) HasDryRun() bool { return false }

// DryRun implements Runner.
func (r *PagerDutyRunner) DryRun(context.Context, func(Chunk)) Result {
	return Result{ExitCode: -1, Text: "no dry run"}
}

// Run implements Runner.
func (r *PagerDutyRunner) Run(ctx context.Context, out func(Chunk)) Result {
	start := time.Now()
	call, err := pdBuild(r.Op, r.IncidentID, r.Args)
	if err != nil {
		return Result{ExitCode: -1, Text: err.Error()}
	}
	if r.Writer == nil {
		return Result{ExitCode: -1, Text: "no PagerDuty client configured"}
	}
	timeout := r.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	c := &capture{red: r.Redactor, out: out}
	c.add("sitrep", call.req.Method+" "+call.req.Path+" "+call.req.Body+"\n")
	err = call.do(cctx, r.Writer)
	res := Result{Duration: time.Since(start), ExitCode: 0}
	switch {
	case err == nil:
		res.OK, res.Text = true, "PagerDuty "+r.Op+" done"
		if q, ok := r.Writer.(interface{ Queues() bool }); ok && q.Queues() {
			res.Text = "PagerDuty " + r.Op + " queued: delivered by the outbox, retried while PagerDuty fails"
		}
	case ctx.Err() != nil:
		res.Cancelled, res.Text, res.ExitCode = true, "cancelled", -1
	case cctx.Err() == context.DeadlineExceeded:
		res.TimedOut, res.Text, res.ExitCode = true, "timed out after "+fmtDuration(timeout), -1
	default:
		res.ExitCode = -1
		res.Text = "PagerDuty " + r.Op + " failed: " + r.Redactor.Redact(strings.TrimSpace(err.Error()))
	}
	res.Output = c.String()
	return res
}
