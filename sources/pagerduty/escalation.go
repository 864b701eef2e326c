package pagerduty

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	pd "github.com/PagerDuty/go-pagerduty"

	"sitrep/sources/sanitize"
	"sitrep/sources/ttlcache"
)

// When an unacknowledged incident escalates next, and to whom. PagerDuty
// does not say: it follows the incident's escalation policy, each level
// (rule) waiting its escalation_delay_in_minutes after the incident was
// assigned to it, and starting again from the first level num_loops times
// after the last. sitrep works it out from the policy's rules and the
// incident's log entries, which the timeline has fetched already.

// EscalationPolicy is a policy with its rules, level 1 first.
type EscalationPolicy struct {
	Ref
	// NumLoops is how many times the policy starts again from level 1
	// after its last level; 0 means it stops there.
	NumLoops int              `json:"num_loops"`
	Rules    []EscalationRule `json:"escalation_rules"`
	Teams    []Ref            `json:"teams,omitempty"`
}

// EscalationRule is one level of a policy.
type EscalationRule struct {
	// Delay is how long an incident assigned to this level stays
	// unacknowledged before it escalates to the next.
	Delay   time.Duration `json:"delay"`
	Targets []Target      `json:"targets"`
}

// Target is whom a level notifies: a user or a schedule.
type Target struct {
	Ref
	Type string `json:"type"` // user_reference, schedule_reference, ...
}

// EscalationState is where an incident stands in its policy, as its log
// entries tell it.
type EscalationState struct {
	// Level is the 1-based level the incident is assigned to now.
	Level int `json:"level"`
	// Since is when it was assigned to that level, reassigned, or
	// unacknowledged: when the level's delay started to run.
	Since time.Time `json:"since"`
	// Loops is how many times the policy has started again from level 1
	// since the incident was triggered.
	Loops        int  `json:"loops"`
	Acknowledged bool `json:"acknowledged,omitempty"`
	Resolved     bool `json:"resolved,omitempty"`
	// guessed marks a level that an escalate entry did not name (one
	// level up from the one before); NextEscalation wraps it.
	guessed bool
}

// Why an incident will not escalate.
const (
	NoEscalationAcknowledged = "acknowledged"
	NoEscalationResolved     = "resolved"
	NoEscalationLastLevel    = "last level"
	NoEscalationNoRules      = "no escalation rules"
	NoEscalationUnknown      = "no assignment in the log"
)

// Escalation is an incident's next escalation, or why there is none.
type Escalation struct {
	// At is when it escalates; it may be past when PagerDuty has not
	// yet written the escalation the rules called for.
	At time.Time `json:"at"`
	// Level is the 1-based level it escalates to.
	Level   int      `json:"level"`
	Targets []Target `json:"targets,omitempty"`
	// Repeat is which pass over the policy the escalation starts (1 for
	// the first repeat) when it goes back to level 1; else 0.
	Repeat   int `json:"repeat,omitempty"`
	NumLoops int `json:"num_loops,omitempty"`
	// None says why the incident will not escalate; when set, the other
	// fields are empty.
	None string `json:"none,omitempty"`
}

// levelWords finds the level in PagerDuty's escalate entries, "Escalated to
// level 2 by …".
var levelWords = regexp.MustCompile(`(?i)\blevel (\d{1,3})\b`)

// EscalationStateOf reads an incident's log entries into where it stands
// in its policy. ok is false when no entry assigns it. The entries may come
// oldest or newest first (PagerDuty lists an incident's log newest first);
// entries of the same second keep their order within that direction.
func EscalationStateOf(entries []LogEntry) (st EscalationState, ok bool) {
	es := slices.Clone(entries)
	if n := len(es); n > 1 && (es[0].At.After(es[n-1].At) || (es[0].At.Equal(es[n-1].At) && es[n-1].Type == "trigger_log_entry")) {
		slices.Reverse(es)
	}
	sort.SliceStable(es, func(i, j int) bool { return es[i].At.Before(es[j].At) })
	for _, e := range es {
		switch e.Type {
		case "trigger_log_entry":
			st = EscalationState{Level: 1, Since: e.At}
			ok = true
		case "assign_log_entry":
			// The first assignment (by the service, through the policy) and
			// a reassignment both start the level's delay again; a
			// reassignment puts the incident back to triggered.
			if st.Level == 0 {
				st.Level = 1
			}
			st.Since, st.Acknowledged, ok = e.At, false, true
		case "escalate_log_entry":
			prev := st.Level
			level, guessed := prev+1, true
			if m := levelWords.FindStringSubmatch(e.Summary); m != nil {
				if n, err := strconv.Atoi(m[1]); err == nil && n >= 1 {
					level, guessed = n, false
				}
			}
			// The policy starting again by itself counts a loop; an
			// engineer sending it back to level 1 does not.
			if !guessed && level <= prev && e.AgentType != "user_reference" && e.AgentType != "user" {
				st.Loops++
			}
			st.Level, st.guessed, st.Since, st.Acknowledged, ok = level, guessed, e.At, false, true
		case "acknowledge_log_entry":
			st.Acknowledged = true
		case "unacknowledge_log_entry":
			st.Acknowledged, st.Since = false, e.At
		case "resolve_log_entry":
			st.Resolved = true
		}
	}
	return st, ok
}

// NextEscalation is when an incident in state st escalates next under
// policy p, to which level and whom. It is a pure function of its
// arguments: the countdown is FormatEscalation's, against the clock.
func NextEscalation(p EscalationPolicy, st EscalationState) Escalation {
	switch {
	case st.Resolved:
		return Escalation{None: NoEscalationResolved}
	case st.Acknowledged:
		return Escalation{None: NoEscalationAcknowledged}
	case len(p.Rules) == 0:
		return Escalation{None: NoEscalationNoRules}
	case st.Level < 1 || st.Since.IsZero():
		return Escalation{None: NoEscalationUnknown}
	}
	n := len(p.Rules)
	level, loops := st.Level, st.Loops
	if level > n {
		if !st.guessed {
			// A level the policy no longer has (it was edited): the
			// incident sits at its last level.
			level = n
		} else {
			// An escalation past the last level that named no level is
			// the policy starting again.
			level, loops = 1, loops+1
		}
	}
	at := st.Since.Add(p.Rules[level-1].Delay)
	if level < n {
		return Escalation{At: at, Level: level + 1, Targets: slices.Clone(p.Rules[level].Targets), NumLoops: p.NumLoops}
	}
	if loops >= p.NumLoops {
		return Escalation{None: NoEscalationLastLevel}
	}
	return Escalation{At: at, Level: 1, Targets: slices.Clone(p.Rules[0].Targets), Repeat: loops + 1, NumLoops: p.NumLoops}
}

// NextEscalationOf is NextEscalation for an incident as the list shows it
// and its log entries as the timeline holds them. The incident's own
// status wins over the log's: the list is refreshed more often.
func NextEscalationOf(in Incident, p EscalationPolicy, entries []LogEntry) Escalation {
	switch in.Status {
	case StatusResolved:
		return Escalation{None: NoEscalationResolved}
	case StatusAcknowledged:
		return Escalation{None: NoEscalationAcknowledged}
	}
	st, ok := EscalationStateOf(entries)
	if !ok {
		return Escalation{None: NoEscalationUnknown}
	}
	if in.Status == StatusTriggered {
		// The log may trail the list: an acknowledgement the list no
		// longer shows has been undone.
		st.Acknowledged, st.Resolved = false, false
	}
	return NextEscalation(p, st)
}

// WithOnCall names the people on call at the escalation's level in place
// of its schedules, so that "→ L2" reads as a person. Users the level
// targets directly stay.
func (e Escalation) WithOnCall(oc []OnCall) Escalation {
	if e.None != "" {
		return e
	}
	var people []Target
	seen := map[string]bool{}
	for _, t := range e.Targets {
		if t.Type == "user_reference" || t.Type == "user" {
			people = append(people, t)
			seen[t.ID] = true
		}
	}
	found := false
	for _, o := range oc {
		if o.Level == e.Level && o.User.ID != "" {
			found = true
			if !seen[o.User.ID] {
				people = append(people, Target{Ref: o.User, Type: "user_reference"})
				seen[o.User.ID] = true
			}
		}
	}
	if found {
		e.Targets = people
	}
	return e
}

// FormatEscalation is the escalation as the list and Overview show it,
// counting down to now: "→ L2 Bob Okafor in 4m12s". An escalation that is
// due says "now"; none is the empty string.
func FormatEscalation(e Escalation, now time.Time) string {
	if e.None != "" || e.Level < 1 {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "→ L%d", e.Level)
	if len(e.Targets) > 0 {
		b.WriteString(" " + firstNonEmpty(sanitize.Line(e.Targets[0].Name), sanitize.Line(e.Targets[0].ID)))
		if len(e.Targets) > 1 {
			fmt.Fprintf(&b, " +%d", len(e.Targets)-1)
		}
	}
	if left := e.At.Sub(now); left > 0 {
		b.WriteString(" in " + Countdown(left))
	} else {
		b.WriteString(" now")
	}
	if e.Repeat > 0 {
		fmt.Fprintf(&b, " (repeat %d/%d)", e.Repeat, e.NumLoops)
	}
	return b.String()
}

// Countdown writes a time left to the second, as a countdown reads:
// 42s, 4m12s, 1h05m (the seconds dropped past an hour), 2d3h.
func Countdown(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	// Round up: a countdown shows 1s until it reaches zero.
	s := int64((d + time.Second - 1) / time.Second)
	switch {
	case s < 60:
		return fmt.Sprintf("%ds", s)
	case s < 3600:
		return fmt.Sprintf("%dm%02ds", s/60, s%60)
	case s < 48*3600:
		return fmt.Sprintf("%dh%02dm", s/3600, s%3600/60)
	}
	return fmt.Sprintf("%dd%dh", s/86400, s%86400/3600)
}

// DefaultPolicyLifetime is how long a policy's rules are kept: they change
// when someone edits the policy, rarely during an incident.
const DefaultPolicyLifetime = 10 * time.Minute

// Policies reads escalation policies with their rules, keeping each for a
// lifetime so that a countdown on every row asks PagerDuty once per policy.
// It is safe for concurrent use.
type Policies struct {
	c        *Client
	lifetime time.Duration
	cache    *ttlcache.Cache[string, EscalationPolicy]
}

// NewPolicies returns a policy reader over c keeping answers for lifetime
// (zero means DefaultPolicyLifetime, negative keeps nothing).
func NewPolicies(c *Client, lifetime time.Duration) *Policies {
	if lifetime == 0 {
		lifetime = DefaultPolicyLifetime
	}
	p := &Policies{c: c, lifetime: lifetime}
	if lifetime > 0 {
		p.cache = ttlcache.New[string, EscalationPolicy](maxCachedPolicies, c.now)
	}
	return p
}

// Get returns policy id with its rules: from the cache while it lives,
// unless fresh. A failed fetch forgets what was kept.
func (p *Policies) Get(ctx context.Context, id string, fresh bool) (EscalationPolicy, error) {
	if id == "" {
		return EscalationPolicy{}, fmt.Errorf("get escalation policy: the incident names none")
	}
	if !fresh {
		if ep, ok := p.cache.Get(id); ok {
			return clonePolicy(ep), nil
		}
	}
	ep, err := p.c.EscalationPolicy(ctx, id)
	if err != nil {
		p.cache.Delete(id)
		return EscalationPolicy{}, err
	}
	p.cache.Put(id, ep, p.c.now().Add(p.lifetime))
	return clonePolicy(ep), nil
}

func clonePolicy(ep EscalationPolicy) EscalationPolicy {
	ep.Rules = slices.Clone(ep.Rules)
	for i := range ep.Rules {
		ep.Rules[i].Targets = slices.Clone(ep.Rules[i].Targets)
	}
	ep.Teams = slices.Clone(ep.Teams)
	return ep
}

// EscalationPolicy asks PagerDuty for one policy with its rules
// (GET /escalation_policies/{id}).
func (c *Client) EscalationPolicy(ctx context.Context, id string) (EscalationPolicy, error) {
	ctx, cancel := c.withDeadline(ctx)
	defer cancel()
	ep, err := c.api.GetEscalationPolicyWithContext(ctx, id, &pd.GetEscalationPolicyOptions{})
	if err != nil {
		return EscalationPolicy{}, describe(ctx, "get escalation policy "+id, err)
	}
	return fromPolicy(*ep), nil
}

func fromPolicy(ep pd.EscalationPolicy) EscalationPolicy {
	out := EscalationPolicy{
		Ref:      Ref{ID: sanitize.Line(ep.ID), Name: sanitize.Line(firstNonEmpty(ep.Name, ep.Summary))},
		NumLoops: int(min(ep.NumLoops, 1000)),
	}
	for _, r := range ep.EscalationRules {
		rule := EscalationRule{Delay: time.Duration(min(r.Delay, 100000)) * time.Minute}
		for _, t := range r.Targets {
			rule.Targets = append(rule.Targets, Target{Ref: ref(t), Type: sanitize.Line(t.Type)})
		}
		out.Rules = append(out.Rules, rule)
	}
	for _, t := range ep.Teams {
		out.Teams = append(out.Teams, Ref{ID: sanitize.Line(t.ID)})
	}
	return out
}
