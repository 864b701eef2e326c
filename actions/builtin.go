package actions

import (
	"regexp"
	"slices"
	"sync"
)

// BuiltInSource is where a built-in action is defined, for messages.
const BuiltInSource = "built-in"

// Patterns of the built-in operations' parameters. PagerDuty IDs are
// upper-case letters and digits; a message is one line of printable text,
// and may begin with "-": it is a JSON string in a request body, never an
// argv element.
const (
	pdIDPattern      = `[A-Z0-9]{2,32}`
	pdIDListPattern  = `[A-Z0-9]{2,32}(,[A-Z0-9]{2,32}){0,24}`
	pdMessagePattern = `[^\x00-\x1f\x7f]{1,1000}`
	pdDurationPat    = `[1-9][0-9]{0,3}m|[1-9][0-9]{0,2}h`
)

// builtInRegexp compiles a built-in pattern once, when a value is first
// matched against it. A counted repetition such as {1,1000} compiles to a
// large program (milliseconds), and every start of sitrep loads the
// built-ins, including each action the supervisor re-executes, which
// rarely matches any of them.
func builtInRegexp(pattern string) func() *regexp.Regexp {
	f, _ := builtInRegexps.LoadOrStore(pattern, sync.OnceValue(func() *regexp.Regexp {
		re, _ := compileAnchored(pattern)
		return re
	}))
	return f.(func() *regexp.Regexp)
}

var builtInRegexps sync.Map // pattern → its compiler

// builtIns are the PagerDuty operations every incident is offered without
// YAML. They announce nothing: PagerDuty's own log records each change
// and who made it.
func builtIns() []*Action {
	param := func(name, pattern, def, help string) Param {
		return Param{Name: name, Pattern: pattern, Default: def, HasDef: def != "", Help: help, lazyRE: builtInRegexp(pattern)}
	}
	message := func(def, help string) Param {
		p := param("message", pdMessagePattern, def, help)
		p.AllowLeadingDash = true
		return p
	}
	pd := func(name, title, explain, risk, op string, args map[string]string, params ...Param) *Action {
		return &Action{
			Name: name, Title: title, Explain: explain, Risk: risk, Runner: RunnerPagerDuty,
			PD: &PagerDutySpec{Op: op, Args: args}, Params: params, BuiltIn: true,
			Source: Pos{File: BuiltInSource},
		}
	}
	return []*Action{
		pd("snooze", "Snooze the incident",
			"Snoozes the acknowledged incident so it stops re-alerting while you work. Safe: it returns to triggered by itself when the time is up.",
			RiskLow, PDSnooze, map[string]string{"duration": "{{.duration}}"},
			param("duration", pdDurationPat, "1h", "how long, e.g. 30m or 4h (1m to 168h)")),
		pd("reassign", "Reassign the incident",
			"Reassigns the incident to another PagerDuty user, who is paged. Safe: it changes who is responsible, not any system.",
			RiskMedium, PDReassign, map[string]string{"user_id": "{{.user_id}}"},
			param("user_id", pdIDPattern, "", "the PagerDuty user's ID, e.g. PABC123")),
		pd("escalate", "Escalate to a level of the escalation policy",
			"Escalates the incident to a level of its escalation policy so those responders are paged. Safe: it adds people, it changes no system.",
			RiskLow, PDEscalate, map[string]string{"level": "{{.level}}"},
			param("level", `[1-9]`, "2", "the escalation level, 1 to 9")),
		pd("add_responder", "Add a responder",
			"Asks another PagerDuty user to join the incident as a responder; they are paged with the message. Safe: it adds people, it changes no system.",
			RiskLow, PDAddResponder, map[string]string{"user_id": "{{.user_id}}", "message": "{{.message}}"},
			param("user_id", pdIDPattern, "", "the PagerDuty user's ID, e.g. PABC123"),
			message("Please join this incident.", "what they are asked")),
		pd("merge", "Merge incidents into this one",
			"Merges other incidents into this one: their alerts move here and they are resolved. It cannot be undone, so it is high risk.",
			RiskHigh, PDMerge, map[string]string{"source_ids": "{{.source_ids}}"},
			param("source_ids", pdIDListPattern, "", "the incident IDs to merge in, separated by commas")),
		pd("set_urgency", "Change the urgency",
			"Sets the incident's urgency to high or low, which changes how responders are notified. Safe: it changes no system.",
			RiskLow, PDUrgency, map[string]string{"urgency": "{{.urgency}}"},
			param("urgency", `high|low`, "", "high or low")),
		pd("set_priority", "Change the priority",
			"Sets the incident's priority (by the priority's PagerDuty ID). Safe: it changes no system.",
			RiskLow, PDPriority, map[string]string{"priority_id": "{{.priority_id}}"},
			param("priority_id", pdIDPattern, "", "the priority's PagerDuty ID")),
		pd("route", "Route to an escalation policy",
			"Reassigns the incident to an escalation policy, whose first level is paged, and adds a note that says why. Safe: it changes who is responsible, not any system.",
			RiskMedium, PDRoute, map[string]string{"escalation_policy_id": "{{.escalation_policy_id}}", "message": "{{.message}}"},
			param("escalation_policy_id", pdIDPattern, "", "the escalation policy's PagerDuty ID, e.g. PDB1234"),
			message("", "the note that says why, one line")),
		pd("status_update", "Post a status update",
			"Posts a status update on the incident, sent to its subscribers. Safe: it tells people, it changes no system.",
			RiskLow, PDStatusUpdate, map[string]string{"message": "{{.message}}"},
			message("", "the update, one line")),
	}
}

// BuiltInNames lists the built-in operations' names, sorted.
func BuiltInNames() []string {
	var out []string
	for _, a := range builtIns() {
		out = append(out, a.Name)
	}
	slices.Sort(out)
	return out
}

// addBuiltIns offers every built-in operation the catalogue does not
// define itself (or try to: an invalid definition of the same name is
// reported, and the built-in does not silently take its place).
func (l *loader) addBuiltIns() {
	for _, a := range builtIns() {
		if _, ok := l.defined[a.Name]; ok || l.invalid[a.Name] {
			continue
		}
		a.Title = orWord(a.Title, a.Name)
		a.Announce = Announce{PagerDuty: false}
		l.defined[a.Name] = a.Source
		l.cat.actions = append(l.cat.actions, a)
		l.cat.byName[a.Name] = a
	}
}
