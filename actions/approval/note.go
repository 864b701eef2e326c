package approval

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"

	"sitrep/actions"
	"sitrep/sources/sanitize"
)

// block is the machine-readable part of a note, as JSON in the fence.
type block struct {
	V          int               `json:"v"`
	Kind       string            `json:"kind"`
	ID         string            `json:"id"`
	Incident   string            `json:"incident,omitempty"`
	Action     string            `json:"action,omitempty"`
	Params     map[string]string `json:"params,omitempty"`
	PlanSHA256 string            `json:"plan_sha256,omitempty"`
	Expires    string            `json:"expires,omitempty"`
	Approvers  []string          `json:"approvers,omitempty"`
	Decision   string            `json:"decision,omitempty"`
	Reason     string            `json:"reason,omitempty"`
}

// RequestInfo is what the request note tells people beside the block:
// who asks, why, and what the preview showed.
type RequestInfo struct {
	Requester     string // the requester's name
	IncidentLabel string // "#12"
	Why           string // the incident's title, or a reason given
	DryRun        string // the dry run's result, or why there is none
	Verdict       string // the guards' verdicts, one a line
}

// RequestNote is the note that asks for approval: the human-readable
// account first, then the block. Values from outside are on one line each.
func RequestNote(r Request, p *actions.Plan, info RequestInfo) string {
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	line("APPROVAL REQUESTED (sitrep, request %s)", r.ID)
	line("%s asks to run %s on %s (%s) for incident %s.", one(info.Requester), r.Action, one(p.Target.Service), one(p.Target.Env), one(info.IncidentLabel))
	if info.Why != "" {
		line("Why: %s", one(info.Why))
	}
	if p.Preview.Runner == actions.RunnerHTTP {
		line("Request: %s", one(strings.Join(p.Preview.Command, " ")))
		if p.Preview.Body != "" {
			line("Body: %s", one(p.Preview.Body))
		}
	} else {
		line("Command: %s", one(argvText(p.Preview.Command)))
	}
	line("Blast radius: %d — %s", len(p.BlastRadius), one(strings.Join(p.BlastRadius, ", ")))
	line("Risk: %s", p.Action.Risk)
	if info.DryRun != "" {
		line("Dry run: %s", one(info.DryRun))
	}
	if info.Verdict != "" {
		line("Guards:")
		for _, l := range strings.Split(strings.TrimRight(info.Verdict, "\n"), "\n") {
			line("  %s", one(l))
		}
	}
	line("Approvers: one of %s, not the requester. Expires %s.", strings.Join(r.Approvers, ", "), r.Expires.UTC().Format("15:04 MST"))
	line("Approve or deny in sitrep (P: pending approvals), typing %s.", Short(r.ID))
	b.WriteString(fenced(block{V: version, Kind: KindRequest, ID: r.ID, Incident: r.Incident, Action: r.Action,
		Params: r.Params, PlanSHA256: r.PlanHash, Expires: r.Expires.UTC().Format(time.RFC3339), Approvers: r.Approvers}))
	return b.String()
}

// DecisionNote is the approver's answer to r.
func DecisionNote(d Decision, r Request, approver string) string {
	word := "DENIED"
	if d.Approved() {
		word = "APPROVED"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s (sitrep, request %s): %s %s %s on incident %s.\n", word, r.ID, one(approver), strings.ToLower(word), r.Action, r.Incident)
	if d.Reason != "" {
		fmt.Fprintf(&b, "Reason: %s\n", one(d.Reason))
	}
	b.WriteString(fenced(block{V: version, Kind: KindDecision, ID: d.RequestID, Decision: d.Decision, PlanSHA256: d.PlanHash, Reason: one(d.Reason)}))
	return b.String()
}

// WithdrawalNote takes request r back.
func WithdrawalNote(w Withdrawal, r Request, requester string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "WITHDRAWN (sitrep, request %s): %s no longer asks to run %s.\n", r.ID, one(requester), r.Action)
	if w.Reason != "" {
		fmt.Fprintf(&b, "Reason: %s\n", one(w.Reason))
	}
	b.WriteString(fenced(block{V: version, Kind: KindWithdrawal, ID: w.RequestID, Reason: one(w.Reason)}))
	return b.String()
}

func fenced(bl block) string {
	data, _ := json.Marshal(bl)
	return "```" + Fence + "\n" + string(data) + "\n```\n"
}

// one is s on one printable line, at most 500 characters.
func one(s string) string {
	s = sanitize.Line(s)
	if r := []rune(s); len(r) > 500 {
		s = string(r[:499]) + "…"
	}
	return s
}

func argvText(argv []string) string {
	q := make([]string, len(argv))
	for i, a := range argv {
		if a == "" || strings.ContainsAny(a, " \t\"'\\") {
			a = `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(a) + `"`
		}
		q[i] = a
	}
	return strings.Join(q, " ")
}

// Message is one approval note, read back: exactly one of Request,
// Decision and Withdrawal is set.
type Message struct {
	Kind       string
	Request    *Request
	Decision   *Decision
	Withdrawal *Withdrawal
}

// ErrNoBlock is Parse's answer for a note that carries no approval block:
// an ordinary note.
var ErrNoBlock = errors.New("not an approval note")

var (
	hexID      = regexp.MustCompile(`\A[0-9a-f]{16}\z`)
	hexSHA     = regexp.MustCompile(`\A[0-9a-f]{64}\z`)
	actionName = regexp.MustCompile(`\A[a-z][a-z0-9_]{0,63}\z`)
	pdID       = regexp.MustCompile(`\A[A-Z0-9]{2,32}\z`)
)

const (
	maxParams     = 32
	maxValue      = 256
	maxApprovers  = 32
	maxReasonRune = 500
)

// Parse reads the approval block of a note. A note with none is
// ErrNoBlock; a block that is malformed, oversize, doubled or holds a
// value outside its pattern is an error that says why, and nothing of it
// is to be trusted.
func Parse(content string) (Message, error) {
	body, err := extract(content)
	if err != nil {
		return Message{}, err
	}
	if len(body) > MaxBlock {
		return Message{}, fmt.Errorf("approval block of %d bytes is over the limit of %d: ignored", len(body), MaxBlock)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var bl block
	if err := dec.Decode(&bl); err != nil {
		return Message{}, fmt.Errorf("approval block is not valid: %v", err)
	}
	if dec.More() {
		return Message{}, errors.New("approval block holds more than one JSON value")
	}
	if bl.V != version {
		return Message{}, fmt.Errorf("approval block version %d: this sitrep reads version %d", bl.V, version)
	}
	if !hexID.MatchString(bl.ID) {
		return Message{}, fmt.Errorf("approval block: id %q is not 16 hex digits", clip(bl.ID))
	}
	if err := checkReason(bl.Reason); err != nil {
		return Message{}, err
	}
	switch bl.Kind {
	case KindRequest:
		r, err := requestOf(bl)
		if err != nil {
			return Message{}, err
		}
		return Message{Kind: KindRequest, Request: &r}, nil
	case KindDecision:
		if bl.Decision != Approve && bl.Decision != Deny {
			return Message{}, fmt.Errorf("approval block: decision %q is neither approve nor deny", clip(bl.Decision))
		}
		if !hexSHA.MatchString(bl.PlanSHA256) {
			return Message{}, errors.New("approval block: a decision needs plan_sha256, 64 hex digits")
		}
		if bl.Incident != "" || bl.Action != "" || bl.Params != nil || bl.Expires != "" || bl.Approvers != nil {
			return Message{}, errors.New("approval block: a decision carries only id, decision, plan_sha256 and reason")
		}
		return Message{Kind: KindDecision, Decision: &Decision{RequestID: bl.ID, Decision: bl.Decision, PlanHash: bl.PlanSHA256, Reason: bl.Reason}}, nil
	case KindWithdrawal:
		if bl.Incident != "" || bl.Action != "" || bl.Params != nil || bl.Expires != "" || bl.Approvers != nil || bl.Decision != "" || bl.PlanSHA256 != "" {
			return Message{}, errors.New("approval block: a withdrawal carries only id and reason")
		}
		return Message{Kind: KindWithdrawal, Withdrawal: &Withdrawal{RequestID: bl.ID, Reason: bl.Reason}}, nil
	}
	return Message{}, fmt.Errorf("approval block: unknown kind %q (want request, decision or withdrawal)", clip(bl.Kind))
}

func requestOf(bl block) (Request, error) {
	if bl.Decision != "" {
		return Request{}, errors.New("approval block: a request carries no decision")
	}
	if !pdID.MatchString(bl.Incident) {
		return Request{}, fmt.Errorf("approval block: incident %q is not a PagerDuty ID", clip(bl.Incident))
	}
	if !actionName.MatchString(bl.Action) {
		return Request{}, fmt.Errorf("approval block: action %q is not an action name", clip(bl.Action))
	}
	if !hexSHA.MatchString(bl.PlanSHA256) {
		return Request{}, errors.New("approval block: plan_sha256 is not 64 hex digits")
	}
	exp, err := time.Parse(time.RFC3339, bl.Expires)
	if err != nil {
		return Request{}, fmt.Errorf("approval block: expires %q is not an RFC 3339 time", clip(bl.Expires))
	}
	if len(bl.Params) > maxParams {
		return Request{}, fmt.Errorf("approval block: %d parameters; at most %d", len(bl.Params), maxParams)
	}
	for k, v := range bl.Params {
		if !actionName.MatchString(k) {
			return Request{}, fmt.Errorf("approval block: parameter name %q is not a parameter name", clip(k))
		}
		if len(v) > maxValue || !printable(v) {
			return Request{}, fmt.Errorf("approval block: the value of %s is not one printable line of at most %d bytes", k, maxValue)
		}
	}
	if len(bl.Approvers) == 0 || len(bl.Approvers) > maxApprovers {
		return Request{}, fmt.Errorf("approval block: a request names 1 to %d approvers", maxApprovers)
	}
	for _, a := range bl.Approvers {
		if !pdID.MatchString(a) {
			return Request{}, fmt.Errorf("approval block: approver %q is not a PagerDuty ID", clip(a))
		}
	}
	params := bl.Params
	if params == nil {
		params = map[string]string{}
	}
	return Request{ID: bl.ID, Incident: bl.Incident, Action: bl.Action, Params: params, PlanHash: bl.PlanSHA256,
		Expires: exp.UTC(), Approvers: bl.Approvers}, nil
}

func checkReason(s string) error {
	if len([]rune(s)) > maxReasonRune || !printable(s) {
		return fmt.Errorf("approval block: reason is not one printable line of at most %d characters", maxReasonRune)
	}
	return nil
}

func printable(s string) bool {
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

// clip shows a refused value safely in a reason.
func clip(s string) string {
	s = sanitize.Line(s)
	if r := []rune(s); len(r) > 40 {
		s = string(r[:39]) + "…"
	}
	return s
}

// extract finds the one fenced block whose info string is Fence. The
// fence must open a line and close on a line of its own.
func extract(content string) ([]byte, error) {
	lines := strings.Split(strings.ReplaceAll(content, "\r\n", "\n"), "\n")
	var found [][]byte
	for i := 0; i < len(lines); i++ {
		if strings.TrimSpace(lines[i]) != "```"+Fence {
			continue
		}
		end := -1
		for j := i + 1; j < len(lines); j++ {
			if strings.TrimSpace(lines[j]) == "```" {
				end = j
				break
			}
		}
		if end < 0 {
			return nil, errors.New("approval block is not closed: ignored")
		}
		found = append(found, []byte(strings.Join(lines[i+1:end], "\n")))
		i = end
	}
	switch len(found) {
	case 0:
		return nil, ErrNoBlock
	case 1:
		return found[0], nil
	}
	return nil, fmt.Errorf("%d approval blocks in one note: ignored", len(found))
}
