package actions

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml/ast"
)

// Confirmation levels.
const (
	ConfirmNone  = "none"
	ConfirmYesNo = "yes/no"
	ConfirmTyped = "typed" // the service's name must be typed
)

var confirmRank = map[string]int{ConfirmNone: 0, ConfirmYesNo: 1, ConfirmTyped: 2}

// Guard rule names, as they appear in verdicts and records.
const (
	RuleReadOnly    = "read_only"
	RuleResolved    = "incident_resolved"
	RuleTimeWindow  = "time_window"
	RuleBlastRadius = "blast_radius"
	RuleRateLimit   = "rate_limit"
	RuleDryRun      = "dry_run"
	RuleConfirm     = "confirm"
	// RuleApplies refuses an action on a service or environment its
	// applies: does not offer it for.
	RuleApplies = "applies"
	// RuleApproval holds a run until a second person has approved it
	// (actions/approval carries the request and the decision).
	RuleApproval = "approval"
)

// DefaultApprovalExpiry is how long an approval request stays open when
// the guard does not say.
const DefaultApprovalExpiry = 15 * time.Minute

// ApprovalRule is the approval guard: a run needs the approval of another
// PagerDuty user, one of Approvers (user or team IDs), given before the
// request expires.
type ApprovalRule struct {
	Required  bool
	Approvers []string
	Expires   time.Duration
}

// ApprovalGrant is an approval a second person gave, as the requester's
// sitrep read it from PagerDuty: who (the note's author), when, and for
// which request.
type ApprovalGrant struct {
	RequestID string
	By        string // the approver's name, as PagerDuty gives it
	ByID      string // the approver's PagerDuty user ID
	At        time.Time
}

// GuardConfig is the guards for an environment or an action. Unset fields
// inherit: the "*" environment, then the named environment, then the
// action.
type GuardConfig struct {
	Confirm        string
	MaxHosts       *int
	MaxPercent     *float64
	RateLimit      *RateLimit
	Windows        []TimeWindow
	RequireDryRun  *bool
	RefuseResolved *bool
	Approval       *ApprovalRule
}

// RateLimit allows at most Max runs of an action per service per Window.
type RateLimit struct {
	Max    int
	Window time.Duration
}

// TimeWindow is a span of the day, on some weekdays, in a zone. To before
// From spans midnight.
type TimeWindow struct {
	Days     [7]bool // indexed by time.Weekday
	From, To int     // minutes after midnight
	Zone     *time.Location
	Text     string // as configured, for messages
}

func (w TimeWindow) contains(t time.Time) bool {
	lt := t.In(w.Zone)
	m := lt.Hour()*60 + lt.Minute()
	day := lt.Weekday()
	if w.From <= w.To {
		return w.Days[day] && m >= w.From && m < w.To
	}
	if m >= w.From {
		return w.Days[day]
	}
	return m < w.To && w.Days[(day+6)%7]
}

// Merge returns g with every field set in over taking its place.
func (g GuardConfig) Merge(over GuardConfig) GuardConfig {
	if over.Confirm != "" {
		g.Confirm = over.Confirm
	}
	if over.MaxHosts != nil {
		g.MaxHosts = over.MaxHosts
	}
	if over.MaxPercent != nil {
		g.MaxPercent = over.MaxPercent
	}
	if over.RateLimit != nil {
		g.RateLimit = over.RateLimit
	}
	if over.Windows != nil {
		g.Windows = over.Windows
	}
	if over.RequireDryRun != nil {
		g.RequireDryRun = over.RequireDryRun
	}
	if over.RefuseResolved != nil {
		g.RefuseResolved = over.RefuseResolved
	}
	if over.Approval != nil {
		g.Approval = over.Approval
	}
	return g
}

// Guards returns the effective guards for a in env.
func (c *Catalogue) Guards(a *Action, env string) GuardConfig {
	g := c.EnvGuards["*"].Merge(c.EnvGuards[env])
	return g.Merge(a.Guards)
}

// GuardInput is everything Evaluate judges.
type GuardInput struct {
	Action  string
	Service string
	Env     string
	Risk    string
	Config  GuardConfig
	// Hosts is the blast radius; Fleet the fleet's size (0: unknown).
	Hosts int
	Fleet int
	Now   time.Time
	// History returns the start times of earlier runs of action on service
	// since a time; the caller feeds it from the journal. An error blocks
	// a rate-limited action: a limit that cannot be counted is not met.
	History        func(action, service string, since time.Time) ([]time.Time, error)
	HasDryRun      bool
	DryRunOK       *bool // nil: not run yet
	IncidentStatus string
	ReadOnly       bool
	// DryRunExempt says why require_dry_run does not apply (a PagerDuty
	// write, a read-only diagnostic); "" when it does.
	DryRunExempt string
	// ChangesNothing is a read-only diagnostic: its confirmation is only
	// what Config.Confirm says (none by default), never raised to typed
	// by production or risk.
	ChangesNothing bool
	// Approved is the second person's approval, when one was given; the
	// approval guard blocks without it.
	Approved *ApprovalGrant
}

// RuleResult is one guard rule's judgement, in words.
type RuleResult struct {
	Rule   string
	OK     bool
	Detail string
}

// Verdict is every rule's result and what follows from them.
type Verdict struct {
	Allowed   bool
	BlockedBy string // the first rule that blocked
	Confirm   string // the confirmation level required
	Rules     []RuleResult
	// FreeAt is when a rate limit frees up again (zero if none blocks).
	FreeAt time.Time
	// NeedsApproval is set when the approval guard is required and no
	// approval has been given yet.
	NeedsApproval bool
}

// AwaitsOnlyApproval reports whether the approval guard is the only rule
// that blocks: the run may be requested for approval now.
func (v Verdict) AwaitsOnlyApproval() bool {
	if v.Allowed || !v.NeedsApproval {
		return false
	}
	for _, r := range v.Rules {
		if !r.OK && r.Rule != RuleApproval {
			return false
		}
	}
	return true
}

// String is the one-line verdict: "allowed (confirm: typed)" or
// "blocked: rate_limit — …".
func (v Verdict) String() string {
	if v.Allowed {
		return fmt.Sprintf("allowed (confirm: %s)", v.Confirm)
	}
	for _, r := range v.Rules {
		if r.Rule == v.BlockedBy {
			return fmt.Sprintf("blocked: %s — %s", r.Rule, r.Detail)
		}
	}
	return "blocked: " + v.BlockedBy
}

// Explain lists every rule's result, one a line.
func (v Verdict) Explain() string {
	var b strings.Builder
	for _, r := range v.Rules {
		mark := "ok     "
		if !r.OK {
			mark = "BLOCKED"
		}
		fmt.Fprintf(&b, "%s %s — %s\n", mark, r.Rule, r.Detail)
	}
	return b.String()
}

// ConfirmLevel is the confirmation an action needs in env: the configured
// level, raised to typed in production or for high risk.
func ConfirmLevel(configured, env, risk string) string {
	level := ConfirmYesNo
	if configured != "" {
		level = configured
	}
	if (IsProduction(env) || risk == RiskHigh) && confirmRank[level] < confirmRank[ConfirmTyped] {
		level = ConfirmTyped
	}
	return level
}

// Evaluate judges a run against every guard rule. Every rule is judged and
// explained, even after one has blocked, so the preview can show them all.
func Evaluate(in GuardInput) Verdict {
	v := Verdict{Confirm: ConfirmLevel(in.Config.Confirm, in.Env, in.Risk)}
	if in.ChangesNothing {
		v.Confirm = orWord(in.Config.Confirm, ConfirmNone)
	}
	add := func(rule string, ok bool, format string, args ...any) {
		v.Rules = append(v.Rules, RuleResult{Rule: rule, OK: ok, Detail: fmt.Sprintf(format, args...)})
		if !ok && v.BlockedBy == "" {
			v.BlockedBy = rule
		}
	}
	now := in.Now
	if now.IsZero() {
		now = time.Now()
	}

	if in.ReadOnly {
		add(RuleReadOnly, false, "sitrep is in read-only mode: no action runs")
	} else {
		add(RuleReadOnly, true, "not in read-only mode")
	}

	refuse := in.Config.RefuseResolved == nil || *in.Config.RefuseResolved
	switch {
	case refuse && in.IncidentStatus == "resolved":
		add(RuleResolved, false, "the incident is resolved: no action runs on a resolved incident")
	case refuse:
		add(RuleResolved, true, "incident is %s", orWord(in.IncidentStatus, "open"))
	default:
		add(RuleResolved, true, "allowed on resolved incidents")
	}

	if len(in.Config.Windows) == 0 {
		add(RuleTimeWindow, true, "no time window configured")
	} else {
		var texts []string
		inside := false
		for _, w := range in.Config.Windows {
			texts = append(texts, w.Text)
			if w.contains(now) {
				inside = true
			}
		}
		z := in.Config.Windows[0].Zone
		if inside {
			add(RuleTimeWindow, true, "now (%s) is inside %s", now.In(z).Format("Mon 15:04 MST"), strings.Join(texts, "; "))
		} else {
			add(RuleTimeWindow, false, "now (%s) is outside the allowed windows: %s", now.In(z).Format("Mon 15:04 MST"), strings.Join(texts, "; "))
		}
	}

	switch {
	case in.Config.MaxHosts != nil && in.Hosts > *in.Config.MaxHosts:
		add(RuleBlastRadius, false, "%d hosts targeted; at most %d allowed", in.Hosts, *in.Config.MaxHosts)
	case in.Config.MaxPercent != nil && in.Fleet > 0 && float64(in.Hosts)*100 > *in.Config.MaxPercent*float64(in.Fleet):
		add(RuleBlastRadius, false, "%d of %d hosts targeted (%.0f%%); at most %g%% allowed",
			in.Hosts, in.Fleet, float64(in.Hosts)*100/float64(in.Fleet), *in.Config.MaxPercent)
	case in.Config.MaxPercent != nil && in.Fleet <= 0 && in.Hosts > 1:
		add(RuleBlastRadius, false, "%d hosts targeted and the fleet's size is unknown, so the %g%% limit cannot be checked", in.Hosts, *in.Config.MaxPercent)
	case in.Config.MaxHosts == nil && in.Config.MaxPercent == nil:
		add(RuleBlastRadius, true, "%d host(s) targeted; no limit configured", in.Hosts)
	default:
		add(RuleBlastRadius, true, "%d host(s) targeted, within %s", in.Hosts, limitText(in.Config))
	}

	if rl := in.Config.RateLimit; rl == nil || rl.Max <= 0 {
		add(RuleRateLimit, true, "no rate limit configured")
	} else {
		var runs []time.Time
		var historyErr error
		if in.History != nil {
			var all []time.Time
			all, historyErr = in.History(in.Action, in.Service, now.Add(-rl.Window))
			for _, t := range all {
				if t.After(now.Add(-rl.Window)) && !t.After(now) {
					runs = append(runs, t)
				}
			}
		}
		sort.Slice(runs, func(i, j int) bool { return runs[i].Before(runs[j]) })
		switch {
		case historyErr != nil:
			add(RuleRateLimit, false, "the runs of %s on %s in the last %s cannot be counted (%v), so the limit of %d cannot be checked; `sitrep doctor` checks the journal",
				in.Action, in.Service, fmtDuration(rl.Window), historyErr, rl.Max)
		case len(runs) >= rl.Max:
			v.FreeAt = runs[len(runs)-rl.Max].Add(rl.Window)
			add(RuleRateLimit, false, "%s ran %d times on %s in the last %s (max %d); free again at %s",
				in.Action, len(runs), in.Service, fmtDuration(rl.Window), rl.Max, v.FreeAt.UTC().Format("15:04 MST"))
		default:
			add(RuleRateLimit, true, "%s ran %d times on %s in the last %s (max %d)",
				in.Action, len(runs), in.Service, fmtDuration(rl.Window), rl.Max)
		}
	}

	need := in.Config.RequireDryRun != nil && *in.Config.RequireDryRun
	switch {
	case !need:
		add(RuleDryRun, true, "a dry run is not required")
	case in.DryRunExempt != "":
		add(RuleDryRun, true, "require_dry_run does not apply: %s", in.DryRunExempt)
	case !in.HasDryRun:
		add(RuleDryRun, false, "a successful dry run is required, and this action has no dry run")
	case in.DryRunOK == nil:
		add(RuleDryRun, false, "a successful dry run is required first: run the dry run")
	case !*in.DryRunOK:
		add(RuleDryRun, false, "a successful dry run is required, and the dry run failed")
	default:
		add(RuleDryRun, true, "the dry run succeeded")
	}

	// The approval rule is listed only where it is configured: most
	// actions never need one, and a line saying so on every preview is
	// noise.
	switch ap := in.Config.Approval; {
	case ap == nil:
	case !ap.Required:
		add(RuleApproval, true, "no approval required")
	case in.Approved != nil:
		add(RuleApproval, true, "approved by %s at %s (request %s)", in.Approved.By, in.Approved.At.UTC().Format("15:04 MST"), in.Approved.RequestID)
	default:
		v.NeedsApproval = true
		add(RuleApproval, false, "needs approval by one of %s (another PagerDuty user; the request expires after %s)",
			strings.Join(ap.Approvers, ", "), fmtDuration(approvalExpiry(ap)))
	}

	switch {
	case in.ChangesNothing && v.Confirm == ConfirmNone:
		add(RuleConfirm, true, "no confirmation needed: it changes nothing")
	case v.Confirm == ConfirmTyped:
		add(RuleConfirm, true, "type the service's name (%s) to confirm", in.Service)
	case v.Confirm == ConfirmYesNo:
		add(RuleConfirm, true, "confirm with yes")
	default:
		add(RuleConfirm, true, "no confirmation needed")
	}
	v.Allowed = v.BlockedBy == ""
	return v
}

func approvalExpiry(ap *ApprovalRule) time.Duration {
	if ap.Expires > 0 {
		return ap.Expires
	}
	return DefaultApprovalExpiry
}

// ApprovalExpiry is how long a request for g's approval stays open.
func (g GuardConfig) ApprovalExpiry() time.Duration {
	if g.Approval == nil {
		return DefaultApprovalExpiry
	}
	return approvalExpiry(g.Approval)
}

// pdID is a PagerDuty user or team ID.
var pdID = regexp.MustCompile(`\A[A-Z0-9]{2,32}\z`)

// maxApprovalExpiry bounds expires: an approval is for this incident,
// not for next week.
const maxApprovalExpiry = 24 * time.Hour

func limitText(g GuardConfig) string {
	var parts []string
	if g.MaxHosts != nil {
		parts = append(parts, fmt.Sprintf("at most %d hosts", *g.MaxHosts))
	}
	if g.MaxPercent != nil {
		parts = append(parts, fmt.Sprintf("at most %g%% of the fleet", *g.MaxPercent))
	}
	return strings.Join(parts, " and ")
}

func orWord(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// fmtDuration prints 30m, 1h30m, 45s rather than 30m0s.
func fmtDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

var weekdays = map[string]time.Weekday{"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}

// parseDays reads "mon-fri", "sat,sun", "daily" or "".
func parseDays(s string) ([7]bool, error) {
	var d [7]bool
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" || s == "daily" || s == "all" {
		return [7]bool{true, true, true, true, true, true, true}, nil
	}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		from, to, isRange := strings.Cut(part, "-")
		a, ok := weekdays[from]
		if !ok {
			return d, fmt.Errorf("unknown day %q (want mon..sun)", from)
		}
		if !isRange {
			d[a] = true
			continue
		}
		b, ok := weekdays[to]
		if !ok {
			return d, fmt.Errorf("unknown day %q (want mon..sun)", to)
		}
		for i := a; ; i = (i + 1) % 7 {
			d[i] = true
			if i == b {
				break
			}
		}
	}
	return d, nil
}

func parseClock(s string) (int, error) {
	h, m, ok := strings.Cut(s, ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || hh < 0 || hh > 24 || mm < 0 || mm > 59 || hh == 24 && mm != 0 {
		return 0, fmt.Errorf("bad time %q: want HH:MM", s)
	}
	return hh*60 + mm, nil
}

// guards converts configured guards, reporting problems at their place.
func (l *loader) guards(file, action string, n ast.Node, r rawGuards) (GuardConfig, bool) {
	before := len(l.problems)
	p := func(keys ...string) Pos {
		if n == nil {
			return Pos{File: file}
		}
		return at(file, n, keys...)
	}
	g := GuardConfig{MaxHosts: r.MaxHosts, MaxPercent: r.MaxPercent, RequireDryRun: r.RequireDryRun, RefuseResolved: r.RefuseResolved}
	switch r.Confirm {
	case "":
	case ConfirmNone, ConfirmTyped:
		g.Confirm = r.Confirm
	case "yes/no", "yesno", "yes":
		g.Confirm = ConfirmYesNo
	default:
		l.problem(p("confirm"), action, "unknown confirm %q (want none, yes/no or typed)", r.Confirm)
	}
	if r.MaxHosts != nil && *r.MaxHosts < 0 {
		l.problem(p("max_hosts"), action, "max_hosts must not be negative")
	}
	if r.MaxPercent != nil && (*r.MaxPercent <= 0 || *r.MaxPercent > 100) {
		l.problem(p("max_percent"), action, "max_percent must be in (0, 100]")
	}
	if r.RateLimit != nil {
		d, err := time.ParseDuration(r.RateLimit.Window)
		if err != nil || d <= 0 || r.RateLimit.Max <= 0 {
			l.problem(p("rate_limit"), action, "rate_limit needs max > 0 and a window such as 30m")
		} else {
			g.RateLimit = &RateLimit{Max: r.RateLimit.Max, Window: d}
		}
	}
	if r.Approval != nil {
		ap := &ApprovalRule{Required: r.Approval.Required, Approvers: r.Approval.Approvers}
		if r.Approval.Expires != "" {
			d, err := time.ParseDuration(r.Approval.Expires)
			if err != nil || d <= 0 || d > maxApprovalExpiry {
				l.problem(p("approval", "expires"), action, "approval.expires %q: want a positive duration of at most 24h, such as 15m", r.Approval.Expires)
			}
			ap.Expires = d
		}
		if ap.Required && len(ap.Approvers) == 0 {
			l.problem(p("approval", "approvers"), action, "approval.required needs approvers: the PagerDuty user or team IDs that may approve (e.g. approvers: [PTEAM01])")
		}
		for _, id := range ap.Approvers {
			if !pdID.MatchString(id) {
				l.problem(p("approval", "approvers"), action, "approval.approvers: %q is not a PagerDuty user or team ID (capital letters and digits, e.g. PXXXXXX)", id)
			}
		}
		g.Approval = ap
	}
	if r.Windows != nil {
		g.Windows = []TimeWindow{}
	}
	for _, w := range r.Windows {
		days, err := parseDays(w.Days)
		if err != nil {
			l.problem(p("windows"), action, "time window: %v", err)
			continue
		}
		from, err1 := parseClock(w.From)
		to, err2 := parseClock(w.To)
		if err1 != nil || err2 != nil {
			l.problem(p("windows"), action, "time window needs from and to as HH:MM (got %q–%q)", w.From, w.To)
			continue
		}
		zone := time.UTC
		if w.Zone != "" {
			z, err := time.LoadLocation(w.Zone)
			if err != nil {
				l.problem(p("windows"), action, "time window: unknown zone %q", w.Zone)
				continue
			}
			zone = z
		}
		text := fmt.Sprintf("%s %s–%s %s", orWord(w.Days, "daily"), w.From, w.To, zone)
		g.Windows = append(g.Windows, TimeWindow{Days: days, From: from, To: to, Zone: zone, Text: text})
	}
	return g, len(l.problems) == before
}
