// Package approval is the two-person approval of an action, carried by
// notes on the PagerDuty incident: the request note (who asks to run what,
// where and why, with a machine-readable block), the decision note, the
// withdrawal note, the hash of the rendered plan both sides compare, and
// the rules that turn an incident's notes into each request's state.
//
// Invariants:
//   - only the fenced block is read back, strictly (known fields, bounded
//     size, every value matched against its pattern); the prose above it
//     is for people and never trusted;
//   - who asked and who decided are the notes' authors as PagerDuty
//     records them, never a name written in a note;
//   - a decision counts only when its author is not the requester, it
//     names the same plan hash as the request, it came before the request
//     expired, and it is the first decision on that request.
package approval

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"sitrep/actions"
)

// Fence is the info string of the fenced block a note carries.
const Fence = "sitrep-approval"

// MaxBlock is the most bytes a block may hold; a longer one is ignored
// with that reason.
const MaxBlock = 4096

// version is the block format's version.
const version = 1

// Kinds of approval note.
const (
	KindRequest    = "request"
	KindDecision   = "decision"
	KindWithdrawal = "withdrawal"
)

// Decisions an approver can give.
const (
	Approve = "approve"
	Deny    = "deny"
)

// Request asks another person to approve one prepared plan.
type Request struct {
	ID       string
	Incident string
	Action   string
	// Params are the values the requester set (not those sitrep supplies
	// itself or takes from the incident): the approver's sitrep prepares
	// the plan again from them.
	Params    map[string]string
	PlanHash  string
	Expires   time.Time
	Approvers []string
}

// Decision approves or denies a request.
type Decision struct {
	RequestID string
	Decision  string // Approve or Deny
	PlanHash  string
	Reason    string
}

// Approved reports whether d approves.
func (d Decision) Approved() bool { return d.Decision == Approve }

// Withdrawal takes a request back before it is decided.
type Withdrawal struct {
	RequestID string
	Reason    string
}

// NewID returns a fresh request ID: 16 hex digits.
func NewID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Short is the part of a request ID people type to confirm: its last 4
// characters.
func Short(id string) string {
	if len(id) <= 4 {
		return id
	}
	return id[len(id)-4:]
}

// NewRequest makes the request for plan, expiring after the guard's
// approval expiry from now. It hashes the plan (see PlanHash).
func NewRequest(p *actions.Plan, now time.Time) (Request, error) {
	hash, err := PlanHash(p)
	if err != nil {
		return Request{}, err
	}
	r := Request{
		ID: NewID(), Incident: p.Target.IncidentID, Action: p.Action.Name,
		Params: GivenParams(p), PlanHash: hash, Expires: now.Add(p.Guards.ApprovalExpiry()).UTC().Truncate(time.Second),
	}
	if p.Guards.Approval != nil {
		r.Approvers = append([]string(nil), p.Guards.Approval.Approvers...)
	}
	return r, nil
}

// GivenParams are the plan's values of the parameters a person may set:
// what the approver's sitrep needs to prepare the same plan.
func GivenParams(p *actions.Plan) map[string]string {
	out := map[string]string{}
	for _, name := range p.Action.ParamNames() {
		if v, ok := p.Params[name]; ok {
			out[name] = v
		}
	}
	return out
}

// planText is what the hash covers: everything the preview shows that
// decides what the run does, and nothing that changes from one look to
// the next (the dry run's output, the time) or from one machine to the
// next (see PlanHash).
type planText struct {
	Action      string   `json:"action"`
	Risk        string   `json:"risk"`
	Runner      string   `json:"runner"`
	Incident    string   `json:"incident"`
	Service     string   `json:"service"`
	Env         string   `json:"env"`
	Command     []string `json:"command"`
	Body        string   `json:"body"`
	EnvNames    []string `json:"env_names"`
	DryRun      []string `json:"dry_run"`
	BlastRadius []string `json:"blast_radius"`
}

// PlanHash is the SHA-256 of the rendered plan, in hex: the action, its
// risk and runner, the incident, service and environment, the exact argv
// or request (method, URL and body), the names of the variables passed,
// the dry run's command and the blast radius. Two sitreps on two machines
// render the same plan with different local values, so those are written
// as placeholders before hashing: a value sitrep supplies itself (from:
// caller, such as its own binary's path) as <caller:name>, and an ansible
// playbook's path as <playbook sha256:…> of its content, so that a changed
// playbook is a different plan wherever it lives. It reads the playbook,
// so it runs in a Cmd, not in Update or View.
func PlanHash(p *actions.Plan) (string, error) {
	var pairs []string
	if a := p.Action.Ansible; p.Action.Runner == actions.RunnerAnsible && a != nil && a.Playbook != "" {
		data, err := os.ReadFile(a.Playbook)
		if err != nil {
			return "", fmt.Errorf("plan hash: read the playbook: %w", err)
		}
		sum := sha256.Sum256(data)
		pairs = append(pairs, a.Playbook, "<playbook sha256:"+hex.EncodeToString(sum[:])+">")
	}
	var callers []actions.Param
	for _, prm := range p.Action.Params {
		if prm.From == actions.FromCaller && len(p.Params[prm.Name]) >= 4 {
			callers = append(callers, prm)
		}
	}
	// Longest first: one caller value may hold another.
	sort.Slice(callers, func(i, j int) bool { return len(p.Params[callers[i].Name]) > len(p.Params[callers[j].Name]) })
	for _, prm := range callers {
		pairs = append(pairs, p.Params[prm.Name], "<caller:"+prm.Name+">")
	}
	r := strings.NewReplacer(pairs...)
	all := func(in []string) []string {
		out := make([]string, len(in))
		for i, v := range in {
			out[i] = r.Replace(v)
		}
		return out
	}
	t := planText{
		Action: p.Action.Name, Risk: p.Action.Risk, Runner: p.Action.Runner,
		Incident: p.Target.IncidentID, Service: p.Target.Service, Env: p.Target.Env,
		Command: all(p.Preview.Command), Body: r.Replace(p.Preview.Body), EnvNames: p.Preview.Env,
		DryRun: all(p.Preview.DryRun), BlastRadius: p.BlastRadius,
	}
	b, _ := json.Marshal(t) // strings and lists of strings always marshal
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}
