// Package postmortem drafts an incident's post-mortem as Markdown: the
// facts sitrep knows (PagerDuty's record, the local journal, the changes
// before the start, the actions run and their effect) filled in, and the
// parts only the team can write marked for them.
//
// Everything from outside is stripped of terminal control sequences and
// escaped for markdown; the output passes markdownlint's default rules
// (wide tables are exempted from the 80-column line length, and only
// they).
package postmortem

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"sitrep/actions"
	"sitrep/sources/deploys"
	"sitrep/sources/metrics"
	"sitrep/sources/pagerduty"
	"sitrep/store/journal"
)

// Input is everything an export is drawn from.
type Input struct {
	// Detail is the incident as PagerDuty has it.
	Detail pagerduty.Detail
	// Entries are the incident's journal entries, in any order.
	Entries []journal.Entry
	// Changes are deploys and other changes looked up around the start;
	// those before the start (and within ChangeWindow of it, when set)
	// become the contributing factors.
	Changes      []deploys.Change
	ChangeWindow time.Duration
	// Related are other incidents worth a look (same service, same time).
	Related []pagerduty.Incident
	// History is the service's earlier incidents and what fixed them;
	// nil when not asked for. Its Err says why it is unavailable.
	History *History
	// Upstream are the incidents on services this one depends on that
	// were open when it started, and started first: likely causes.
	// UpstreamErr says why they could not be looked up.
	Upstream    []pagerduty.Upstream
	UpstreamErr string
	// Generated is when the export was made.
	Generated time.Time
	// Audit says which part of the journal the export rests on.
	Audit Audit
}

// Audit is the journal's side of the export: the incident's entries, and
// the journal head that `sitrep journal verify` checks them against.
type Audit struct {
	First, Last uint64 // Seq range of the incident's entries
	Count       int
	Head        journal.Head
	// Journals, when the export read several journals or packs, lists
	// each with its head in place of the one journal above.
	Journals []AuditJournal
	// Shared is how many events several of them observed from PagerDuty,
	// each kept once.
	Shared int
}

// AuditJournal is one journal or pack an export read.
type AuditJournal struct {
	Path string // as given
	// Pack is a pack of one incident's entries; Origin is the journal it
	// was packed from.
	Pack     bool
	Origin   string
	Head     journal.Head
	Entries  int  // this incident's entries it gave to the export
	Verified bool // its chain verified
	Included bool // its entries are in the export
	Problem  string
}

// AuditFor summarises entries against the journal's head.
func AuditFor(entries []journal.Entry, head journal.Head) Audit {
	a := Audit{Count: len(entries), Head: head}
	for _, e := range entries {
		if a.First == 0 || e.Seq < a.First {
			a.First = e.Seq
		}
		if e.Seq > a.Last {
			a.Last = e.Seq
		}
	}
	return a
}

// Journal kinds the export reads.
const (
	KindMitigated = "mitigated"
	KindPin       = "pin"
	KindNote      = "note"
	// KindTriage is the incident's classification, journaled when it
	// first appeared and whenever it changed; the latest one is the
	// export's.
	KindTriage = "triage"
	kindAction = "action."
)

// Kinds left out of the timeline: bulky or repetitive, and shown elsewhere.
var timelineSkips = map[string]bool{
	"enrichment":                     true,
	"export":                         true,
	kindAction + actions.StepOutput:  true,
	kindAction + actions.StepEffect:  true,
	kindAction + actions.StepOutcome: true,
}

const (
	width   = 80
	toFill  = "_To be filled in by the team._"
	dayTime = "2006-01-02 15:04:05"
)

// Render writes the post-mortem for in to w.
func Render(w io.Writer, in Input) error {
	f := newFacts(in)
	var b strings.Builder
	b.Grow(4096 + 160*len(in.Entries))
	f.frontMatter(&b)
	sections := []func(*strings.Builder){
		f.summary, f.impact, f.detection, f.responders, f.timelineSection,
		f.actionsSection, f.contributing, f.resolution, f.lessons, f.actionItems,
		f.related, f.supporting, f.audit,
	}
	for _, s := range sections {
		b.WriteByte('\n')
		s(&b)
	}
	_, err := io.WriteString(w, b.String())
	if err != nil {
		return fmt.Errorf("write post-mortem for %s: %w", in.Detail.Incident.ID, err)
	}
	return nil
}

// facts are what the sections share, worked out once.
type facts struct {
	in        Input
	inc       pagerduty.Incident
	triggered time.Time
	acked     event
	mitigated event
	resolved  event
	runs      []run
	timeline  []row
	changes   []deploys.Change
	triage    triageFact
}

// triageFact is the incident's latest classification, from the journal.
type triageFact struct {
	Class      string   `json:"class"`
	Rule       string   `json:"rule"`
	Confidence string   `json:"confidence"`
	Why        string   `json:"why"`
	Evidence   []string `json:"evidence"`
}

// latestTriage reads the last triage entry that names a class.
func latestTriage(entries []journal.Entry) triageFact {
	var out triageFact
	for _, e := range entries {
		if e.Kind != KindTriage {
			continue
		}
		var t triageFact
		if json.Unmarshal(e.Data, &t) == nil && strings.TrimSpace(t.Class) != "" {
			out = t
		}
	}
	return out
}

// event is a moment and who caused it.
type event struct {
	At  time.Time
	Who string
	Why string
}

func (e event) set() bool { return !e.At.IsZero() }

func newFacts(in Input) *facts {
	f := &facts{in: in, inc: in.Detail.Incident}
	f.triggered = f.inc.CreatedAt.UTC()
	earliest := func(cur *event, at time.Time, who, why string) {
		if at.IsZero() {
			return
		}
		if !cur.set() || at.Before(cur.At) {
			*cur = event{At: at.UTC(), Who: who, Why: why}
		}
	}
	for _, l := range in.Detail.LogEntries {
		switch l.Type {
		case "acknowledge_log_entry":
			earliest(&f.acked, l.At, l.Agent.Name, "")
		case "resolve_log_entry":
			earliest(&f.resolved, l.At, l.Agent.Name, l.Summary)
		case "trigger_log_entry":
			if f.triggered.IsZero() || l.At.Before(f.triggered) {
				f.triggered = l.At.UTC()
			}
		}
	}
	f.runs = buildRuns(in.Entries)
	for _, e := range in.Entries {
		switch e.Kind {
		case "status.acknowledge":
			earliest(&f.acked, e.At, e.Actor, "")
		case "status.resolve":
			earliest(&f.resolved, e.At, e.Actor, e.Summary)
		case KindMitigated:
			earliest(&f.mitigated, e.At, e.Actor, e.Summary)
		}
	}
	for _, r := range f.runs {
		if r.rec.Outcome == "helped" {
			earliest(&f.mitigated, r.outcomeAt, orText(r.rec.ConfirmedBy, journal.ActorSitrep), "action "+r.rec.Action+" helped")
		}
	}
	if !f.resolved.set() && f.inc.Status == pagerduty.StatusResolved && !f.inc.LastChangeAt.IsZero() {
		f.resolved = event{At: f.inc.LastChangeAt.UTC()}
	}
	f.changes = contributingChanges(in.Changes, f.triggered, in.ChangeWindow)
	f.triage = latestTriage(in.Entries)
	f.timeline = buildTimeline(in, f)
	return f
}

func orText(s, d string) string {
	if strings.TrimSpace(s) == "" {
		return d
	}
	return s
}

func utc(t time.Time) string {
	if t.IsZero() {
		return "unknown"
	}
	return t.UTC().Format(dayTime) + " UTC"
}

func since(from, to time.Time) string {
	if from.IsZero() || to.IsZero() || to.Before(from) {
		return ""
	}
	return to.Sub(from).Round(time.Second).String()
}

func (f *facts) frontMatter(b *strings.Builder) {
	inc := f.inc
	stamp := func(t time.Time) string {
		if t.IsZero() {
			return "null"
		}
		return yamlString(t.UTC().Format(time.RFC3339))
	}
	dur := func(d string) string {
		if d == "" {
			return "null"
		}
		return yamlString(d)
	}
	b.WriteString("---\n")
	fmt.Fprintf(b, "incident_id: %s\n", yamlString(inc.ID))
	fmt.Fprintf(b, "incident_number: %d\n", inc.Number)
	fmt.Fprintf(b, "title: %s\n", yamlString(inc.Title))
	fmt.Fprintf(b, "service: %s\n", yamlString(inc.Service.Name))
	fmt.Fprintf(b, "urgency: %s\n", yamlString(inc.Urgency))
	fmt.Fprintf(b, "priority: %s\n", yamlString(inc.Priority))
	fmt.Fprintf(b, "status: %s\n", yamlString(inc.Status))
	fmt.Fprintf(b, "triggered: %s\n", stamp(f.triggered))
	fmt.Fprintf(b, "acknowledged: %s\n", stamp(f.acked.At))
	fmt.Fprintf(b, "mitigated: %s\n", stamp(f.mitigated.At))
	fmt.Fprintf(b, "resolved: %s\n", stamp(f.resolved.At))
	fmt.Fprintf(b, "time_to_acknowledge: %s\n", dur(since(f.triggered, f.acked.At)))
	fmt.Fprintf(b, "time_to_resolve: %s\n", dur(since(f.triggered, f.resolved.At)))
	people := f.responderList()
	if len(people) == 0 {
		b.WriteString("responders: []\n")
	} else {
		b.WriteString("responders:\n")
		for _, p := range people {
			fmt.Fprintf(b, "  - %s\n", yamlString(p.name))
		}
	}
	fmt.Fprintf(b, "generated: %s\n", stamp(f.in.Generated))
	b.WriteString("generator: \"sitrep\"\n")
	b.WriteString("---\n")
}

func heading(b *strings.Builder, h string) {
	b.WriteString(h)
	b.WriteString("\n\n")
}

// item writes a list item "- label: text" (label is ours, text escaped).
func item(b *strings.Builder, label, text string) {
	if label != "" {
		wrap(b, "- "+label+": ", "  ", text, width)
		return
	}
	wrap(b, "- ", "  ", text, width)
}

func para(b *strings.Builder, text string) {
	wrap(b, "", "", text, width)
}

func (f *facts) summary(b *strings.Builder) {
	inc := f.inc
	heading(b, "## Summary")
	title := orText(inline(inc.Title), "untitled")
	if inc.Number > 0 {
		title = fmt.Sprintf("\\#%d %s", inc.Number, title)
	}
	if inc.ID != "" {
		title += " (" + inline(inc.ID) + ")"
	}
	item(b, "**Incident**", title)
	item(b, "**Service**", orText(inline(inc.Service.Name), "unknown"))
	if t := f.triage; t.Class != "" {
		item(b, "**Class**", inline(t.Class)+" ("+orText(inline(t.Confidence), "unknown")+" confidence, by sitrep's triage)")
	}
	item(b, "**Urgency and priority**", orText(inline(inc.Urgency), "unknown")+", "+orText(inline(inc.Priority), "no priority"))
	item(b, "**Status at export**", orText(inline(inc.Status), "unknown"))
	item(b, "**Triggered**", utc(f.triggered))
	if f.acked.set() {
		item(b, "**Acknowledged**", utc(f.acked.At)+" by "+orText(inline(f.acked.Who), "unknown")+", after "+since(f.triggered, f.acked.At))
	}
	if f.mitigated.set() {
		item(b, "**Mitigated**", utc(f.mitigated.At)+" ("+inline(f.mitigated.Why)+"), after "+since(f.triggered, f.mitigated.At))
	}
	if f.resolved.set() {
		item(b, "**Resolved**", utc(f.resolved.At)+", after "+since(f.triggered, f.resolved.At))
	} else {
		item(b, "**Resolved**", "not at the time of this export")
	}
	if len(f.changes) > 0 {
		c := f.changes[0]
		item(b, "**Nearest change before the start**", inline(c.Summary)+" ("+since(c.At, f.triggered)+" before)")
	}
	b.WriteByte('\n')
	para(b, "What happened, and why: "+toFill)
}

func (f *facts) impact(b *strings.Builder) {
	inc := f.inc
	heading(b, "## Impact")
	item(b, "Service", orText(inline(inc.Service.Name), "unknown"))
	end := f.resolved.At
	if end.IsZero() {
		so := since(f.triggered, f.in.Generated)
		if so != "" {
			so = " (" + so + " so far)"
		}
		item(b, "Duration", "ongoing at export"+so)
	} else {
		item(b, "Duration", since(f.triggered, end)+" from trigger to resolution")
	}
	item(b, "Alerts", fmt.Sprintf("%d (%d triggered, %d resolved at export)", max(inc.AlertCounts.All, uint(len(f.in.Detail.Alerts))), inc.AlertCounts.Triggered, inc.AlertCounts.Resolved))
	b.WriteByte('\n')
	para(b, "Who and what was affected, and how much: "+toFill)
}

func (f *facts) detection(b *strings.Builder) {
	heading(b, "## Detection")
	alerts := append([]pagerduty.Alert(nil), f.in.Detail.Alerts...)
	sort.SliceStable(alerts, func(i, j int) bool { return alerts[i].CreatedAt.Before(alerts[j].CreatedAt) })
	if len(alerts) > 0 {
		a := alerts[0]
		text := utc(a.CreatedAt) + ": " + inline(a.Summary)
		if a.Severity != "" {
			text += " (severity " + inline(a.Severity) + ")"
		}
		item(b, "First alert", text)
		item(b, "Source", orText(inline(a.Source), "not recorded"))
		if a.Retries > 0 {
			item(b, "Repeats", fmt.Sprintf("fired %d more times while open", a.Retries))
		}
	} else {
		item(b, "First alert", "none recorded")
	}
	if t := f.triage; t.Class != "" {
		why := strings.Join(t.Evidence, "; ")
		if strings.TrimSpace(why) == "" {
			why = t.Why
		}
		text := inline(t.Class) + ": " + orText(inline(why), "no evidence recorded")
		if t.Rule != "" && t.Rule != t.Class {
			text += " (rule " + inline(t.Rule) + ")"
		}
		item(b, "Classified as", text)
	}
	// Who was paged: the assignees and the on-call chain, one mention
	// each with everything they were.
	var names []string
	why := map[string][]string{}
	page := func(name, reason string) {
		if strings.TrimSpace(name) == "" {
			return
		}
		if _, ok := why[name]; !ok {
			names = append(names, name)
		}
		why[name] = append(why[name], reason)
	}
	for _, a := range f.inc.Assignees {
		page(a.Name, "assigned")
	}
	for _, o := range f.in.Detail.OnCall {
		page(o.User.Name, fmt.Sprintf("on call at level %d", o.Level))
	}
	var paged []string
	for _, n := range names {
		paged = append(paged, inline(n)+" ("+strings.Join(why[n], ", ")+")")
	}
	if len(paged) == 0 {
		item(b, "Paged", "not recorded")
	} else {
		item(b, "Paged", strings.Join(paged, "; "))
	}
	if p := f.inc.EscalationPolicy.Name; p != "" {
		item(b, "Escalation policy", inline(p))
	}
	b.WriteByte('\n')
	para(b, "How it could have been detected sooner: "+toFill)
}

func dedupe(in []string) []string {
	seen := map[string]bool{}
	out := in[:0]
	for _, s := range in {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

type person struct {
	name  string
	roles []string
}

// isPerson says whether a PagerDuty agent type is a person. An unknown
// type (older journals, other sources) counts as one.
func isPerson(agentType string) bool {
	return agentType == "" || strings.HasPrefix(agentType, "user")
}

// agentTypeOf reads the agent type the observer journals with a log entry.
func agentTypeOf(e journal.Entry) string {
	var d struct {
		AgentType string `json:"agent_type"`
	}
	_ = json.Unmarshal(e.Data, &d)
	return d.AgentType
}

// responderList is everyone who took part, in order of first appearance,
// with what they did.
func (f *facts) responderList() []person {
	var out []person
	at := map[string]int{}
	add := func(name, role string) {
		name = strings.TrimSpace(name)
		if name == "" || name == journal.ActorSitrep {
			return
		}
		i, ok := at[name]
		if !ok {
			i = len(out)
			at[name] = i
			out = append(out, person{name: name})
		}
		for _, r := range out[i].roles {
			if r == role {
				return
			}
		}
		out[i].roles = append(out[i].roles, role)
	}
	for _, a := range f.inc.Assignees {
		add(a.Name, "assigned")
	}
	for _, o := range f.in.Detail.OnCall {
		add(o.User.Name, fmt.Sprintf("on call (level %d)", o.Level))
	}
	roles := map[string]string{
		"acknowledge_log_entry": "acknowledged", "resolve_log_entry": "resolved",
		"assign_log_entry": "reassigned", "escalate_log_entry": "escalated",
		"annotate_log_entry": "wrote notes", "snooze_log_entry": "snoozed",
	}
	for _, l := range f.in.Detail.LogEntries {
		if r, ok := roles[l.Type]; ok && isPerson(l.AgentType) {
			add(l.Agent.Name, r)
		}
	}
	for _, n := range f.in.Detail.Notes {
		add(n.User.Name, "wrote notes")
	}
	kindRoles := map[string]string{
		"status.acknowledge": "acknowledged", "status.resolve": "resolved",
		"status.assign": "reassigned", "status.escalate": "escalated", "status.snooze": "snoozed",
		KindNote: "wrote notes", KindPin: "pinned evidence", KindMitigated: "mitigated",
	}
	for _, e := range f.in.Entries {
		if r, ok := kindRoles[e.Kind]; ok && isPerson(agentTypeOf(e)) {
			add(e.Actor, r)
		}
	}
	for _, r := range f.runs {
		add(r.rec.ConfirmedBy, "confirmed actions")
	}
	return out
}

func (f *facts) responders(b *strings.Builder) {
	heading(b, "## Responders")
	people := f.responderList()
	if len(people) == 0 {
		para(b, "No responders recorded.")
		return
	}
	for _, p := range people {
		item(b, "", inline(p.name)+": "+strings.Join(p.roles, ", "))
	}
}

// wideTable brackets a table whose rows cannot fit 80 columns: the line
// length rule is suspended for it alone.
func wideTable(b *strings.Builder, head string, rows func()) {
	b.WriteString("<!-- markdownlint-capture -->\n<!-- markdownlint-disable MD013 -->\n\n")
	b.WriteString(head)
	rows()
	b.WriteString("\n<!-- markdownlint-restore -->\n")
}

func (f *facts) timelineSection(b *strings.Builder) {
	heading(b, "## Timeline")
	para(b, "All times UTC. PagerDuty's log and sitrep's journal, merged; an event both recorded appears once.")
	b.WriteByte('\n')
	wideTable(b, "| Time (UTC) | Source | Who | Event |\n| --- | --- | --- | --- |\n", func() {
		for _, r := range f.timeline {
			text := "**" + r.Text + "**"
			if !r.marker {
				text = cell(r.Text)
			}
			tableRow(b, r.At.UTC().Format(dayTime), r.Source, cell(r.Who), text)
		}
	})
}

func (f *facts) contributing(b *strings.Builder) {
	heading(b, "## Contributing factors")
	window := "before the start"
	if f.in.ChangeWindow > 0 {
		window = "in the " + f.in.ChangeWindow.String() + " before the start"
	}
	if len(f.changes) == 0 {
		para(b, "No changes were recorded "+window+".")
	} else {
		para(b, "Changes "+window+", nearest first:")
		b.WriteByte('\n')
		for i, c := range f.changes {
			text := utc(c.At) + " (" + since(c.At, f.triggered) + " before): " + inline(c.Summary)
			var about []string
			if c.Service != "" {
				about = append(about, inline(c.Service))
			}
			if c.Source != "" {
				about = append(about, "from "+inline(c.Source))
			}
			if len(about) > 0 {
				text += " (" + strings.Join(about, ", ") + ")"
			}
			if i == 0 {
				text += "; nearest to the start"
			}
			item(b, "", text)
		}
	}
	b.WriteByte('\n')
	f.upstream(b)
	para(b, "What contributed, and how: "+toFill)
}

// upstream lists the incidents upstream that were open when this one
// started, earliest first, as likely causes.
func (f *facts) upstream(b *strings.Builder) {
	switch {
	case len(f.in.Upstream) > 0:
		para(b, "Incidents on services this one depends on, open when it started and started first (likely causes):")
		b.WriteByte('\n')
		for _, u := range f.in.Upstream {
			text := inline(pagerduty.FormatUpstream(u))
			text += " (" + strings.Join(dedupe([]string{inline(u.Incident.ID), inline(u.Incident.Title), utc(u.Incident.CreatedAt), inline(u.Incident.Status)}), ", ") + ")"
			item(b, "", text)
		}
		b.WriteByte('\n')
	case f.in.UpstreamErr != "":
		para(b, "Upstream incidents unknown: "+inline(f.in.UpstreamErr)+".")
		b.WriteByte('\n')
	}
}

func (f *facts) resolution(b *strings.Builder) {
	heading(b, "## Resolution")
	switch {
	case f.resolved.set():
		text := "Resolved at " + utc(f.resolved.At)
		if f.resolved.Who != "" {
			text += " by " + inline(f.resolved.Who)
		}
		text += ", " + since(f.triggered, f.resolved.At) + " after the start."
		para(b, text)
	default:
		para(b, "Not resolved at the time of this export.")
	}
	if f.mitigated.set() {
		b.WriteByte('\n')
		para(b, "Mitigated at "+utc(f.mitigated.At)+": "+inline(f.mitigated.Why)+".")
	}
	b.WriteByte('\n')
	para(b, "What fixed it: "+toFill)
}

func (f *facts) lessons(b *strings.Builder) {
	heading(b, "## Lessons")
	for i, h := range []string{"### What went well", "### What went wrong", "### Where we got lucky"} {
		if i > 0 {
			b.WriteByte('\n')
		}
		heading(b, h)
		para(b, toFill)
	}
}

func (f *facts) actionItems(b *strings.Builder) {
	heading(b, "## Action items")
	b.WriteString("| # | Action item | Owner | Priority | Due | Ticket |\n")
	b.WriteString("| --- | --- | --- | --- | --- | --- |\n")
	for i := 1; i <= 3; i++ {
		tableRow(b, fmt.Sprint(i), "", "", "", "", "")
	}
}

func (f *facts) related(b *strings.Builder) {
	heading(b, "## Related incidents")
	if f.history(b) {
		return
	}
	if len(f.in.Related) == 0 {
		para(b, "None found.")
		return
	}
	for _, r := range f.in.Related {
		text := inline(r.Title)
		if r.Number > 0 {
			text = fmt.Sprintf("\\#%d %s", r.Number, text)
		}
		text += " (" + strings.Join(dedupe([]string{inline(r.ID), inline(r.Service.Name), inline(r.Status), utc(r.CreatedAt)}), ", ") + ")"
		if r.HTMLURL != "" {
			text += " " + link(r.HTMLURL)
		}
		item(b, "", text)
	}
}

func (f *facts) supporting(b *strings.Builder) {
	heading(b, "## Supporting data")
	heading(b, "### Pins")
	var pins []journal.Entry
	for _, e := range f.in.Entries {
		if e.Kind == KindPin {
			pins = append(pins, e)
		}
	}
	sort.SliceStable(pins, func(i, j int) bool { return pins[i].At.Before(pins[j].At) })
	if len(pins) == 0 {
		para(b, "Nothing was pinned.")
	}
	for _, p := range pins {
		text := "Observed at " + utc(p.At)
		if p.Actor != "" {
			text += " by " + inline(p.Actor)
		}
		item(b, "", text+": "+orText(inline(p.Summary), "(no summary)"))
		for _, v := range pinnedValues(p) {
			wrap(b, "  - ", "    ", v, width)
		}
	}
	b.WriteByte('\n')
	heading(b, "### Links")
	var links []string
	if f.inc.HTMLURL != "" {
		links = append(links, "PagerDuty incident: "+link(f.inc.HTMLURL))
	}
	for _, c := range f.changes {
		if c.URL != "" {
			links = append(links, "Change "+inline(orText(c.ID, c.Summary))+": "+link(c.URL))
		}
	}
	if len(links) == 0 {
		para(b, "None.")
	}
	for _, l := range links {
		item(b, "", l)
	}
}

// pinnedValues are what a pin kept, one line each: what the engineer saw
// when they pinned it. A pin of the Metrics pane keeps each metric's
// values, of the Logs pane the log lines on screen, of the Deploys pane
// the changes listed.
func pinnedValues(e journal.Entry) []string {
	var d struct {
		Pane  string `json:"pane"`
		Facts []struct {
			// A metric.
			Name      string   `json:"name"`
			Unit      string   `json:"unit"`
			Now       float64  `json:"now"`
			Peak      float64  `json:"peak"`
			Threshold *float64 `json:"threshold"`
			// A log line (older pins wrote T for at) or a change.
			At      time.Time `json:"at"`
			T       time.Time `json:"T"`
			Level   string    `json:"level"`
			Source  string    `json:"source"`
			Text    string    `json:"text"`
			Summary string    `json:"summary"`
			Likely  bool      `json:"likely"`
		} `json:"facts"`
	}
	if json.Unmarshal(e.Data, &d) != nil {
		return nil
	}
	var out []string
	for _, f := range d.Facts {
		at := f.At
		if at.IsZero() {
			at = f.T
		}
		clock := ""
		if !at.IsZero() {
			clock = at.UTC().Format("15:04:05") + " "
		}
		// Blank after sanitizing is nothing to show.
		name, text, summary := inline(f.Name), inline(f.Text), inline(f.Summary)
		switch {
		case strings.TrimSpace(name) != "":
			line := fmt.Sprintf("%s: now %s, peak %s", name, value(f.Now, f.Unit), value(f.Peak, f.Unit))
			if f.Threshold != nil {
				line += ", threshold " + value(*f.Threshold, f.Unit)
			}
			out = append(out, line)
		case strings.TrimSpace(text) != "":
			// The message before its source: a source (a Loki stream's
			// labels) can be longer than the line.
			line := clock
			if level := strings.TrimSpace(inline(f.Level)); level != "" {
				line += level + ": "
			}
			line += text
			if src := strings.TrimSpace(inline(f.Source)); src != "" {
				line += " (from " + src + ")"
			}
			out = append(out, line)
		case strings.TrimSpace(summary) != "":
			line := clock + summary
			if f.Likely {
				line += " (flagged as a likely cause)"
			}
			out = append(out, line)
		}
	}
	return out
}

func value(v float64, unit string) string {
	return metrics.FormatValue(v, inline(unit))
}

func (f *facts) audit(b *strings.Builder) {
	a := f.in.Audit
	heading(b, "## Audit")
	if len(a.Journals) > 0 {
		f.auditJournals(b)
		return
	}
	if a.Count == 0 {
		item(b, "Journal entries", "none for this incident")
	} else {
		item(b, "Journal entries", fmt.Sprintf("%d for this incident, seq %d to %d", a.Count, a.First, a.Last))
	}
	item(b, "Journal head", fmt.Sprintf("seq %d, hash %s", a.Head.Seq, code(a.Head.Hash.String())))
	item(b, "Generated", utc(f.in.Generated)+" by sitrep")
	b.WriteByte('\n')
	para(b, "To check that the journal behind this export was not altered since, run "+code("sitrep journal verify")+
		" and compare the head above.")
}

// auditJournals lists each journal and pack of a team's export with its
// head, and says which were left out and why.
func (f *facts) auditJournals(b *strings.Builder) {
	a := f.in.Audit
	para(b, fmt.Sprintf("Read from %d journals and packs, each verified first; %d entries for this incident, "+
		"%d PagerDuty events seen by more than one kept once.", len(a.Journals), a.Count, a.Shared))
	b.WriteByte('\n')
	for _, j := range a.Journals {
		what := "Journal " + inline(j.Path)
		if j.Pack {
			what = "Pack " + inline(j.Path) + " (of journal " + inline(j.Origin) + ")"
		}
		var state string
		switch {
		case j.Verified:
			state = fmt.Sprintf("verified, %d entries for this incident", j.Entries)
		case j.Included:
			state = fmt.Sprintf("NOT VERIFIED, included as asked (%d entries for this incident): %s", j.Entries, inline(j.Problem))
		default:
			state = "NOT VERIFIED, left out: " + inline(j.Problem)
		}
		item(b, "", fmt.Sprintf("%s: %s; head seq %d, hash %s", what, state, j.Head.Seq, code(j.Head.Hash.String())))
	}
	item(b, "Generated", utc(f.in.Generated)+" by sitrep")
	b.WriteByte('\n')
	para(b, "To check a journal behind this export, its owner runs "+code("sitrep journal verify")+
		" and compares the head above; a pack is checked by reading it again with "+code("sitrep export --journal")+".")
}

// decodeRecord reads an action entry's record; bad data yields ok false.
func decodeRecord(e journal.Entry) (actions.Record, bool) {
	var r actions.Record
	if len(e.Data) == 0 || json.Unmarshal(e.Data, &r) != nil {
		return r, false
	}
	return r, true
}
