package triage

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Where each class of incident belongs, and how close related incidents
// must start to make a storm:
//
//	triage:
//	  storm_window: 10m
//	  classes:
//	    database:
//	      route: {escalation_policy: PDB1234}
//
// A route is only ever suggested: the cockpit shows it beside the why and
// the engineer reassigns with one key and a confirmation.

// ClassConfig is what a class comes with.
type ClassConfig struct {
	Route *RouteConfig `yaml:"route"`
}

// RouteConfig names where a class's incidents belong.
type RouteConfig struct {
	// EscalationPolicy is the PagerDuty escalation policy's ID.
	EscalationPolicy string `yaml:"escalation_policy"`
}

// Route is a class's configured destination.
type Route struct {
	Class string
	// EscalationPolicy is the escalation policy's PagerDuty ID.
	EscalationPolicy string
}

// policyID is a PagerDuty ID, as the built-in route operation accepts it.
var policyID = regexp.MustCompile(`^[A-Z0-9]{2,32}$`)

// classes checks the classes and storm_window settings and keeps them on
// cl. A route must name a class some rule in force gives: a class no rule
// gives would never be suggested, which is a typo's silent failure.
func (c *compiler) classes(cfg Config, cl *Classifier) {
	cl.stormWindow = DefaultStormWindow
	if cfg.StormWindow != "" {
		d, err := time.ParseDuration(cfg.StormWindow)
		if err != nil || d < MinStormWindow || d > MaxStormWindow {
			c.fail("triage.storm_window", "%s is not a duration between %s and %s: write it like 10m", strconv.Quote(cfg.StormWindow), "1m", "24h")
		} else {
			cl.stormWindow = d
		}
	}
	if len(cfg.Classes) == 0 {
		return
	}
	var known []string
	for _, r := range cl.rules {
		if !slices.Contains(known, r.Class) {
			known = append(known, r.Class)
		}
	}
	slices.Sort(known)
	names := make([]string, 0, len(cfg.Classes))
	for name := range cfg.Classes {
		names = append(names, name)
	}
	slices.Sort(names) // problems in a stable order
	for _, name := range names {
		cc := cfg.Classes[name]
		at := "triage.classes." + name
		if !slices.Contains(known, name) {
			c.fail(at, "no rule gives the class %q: name one of %s, or add a rule with class: %s", name, strings.Join(known, ", "), name)
			continue
		}
		if cc.Route == nil {
			continue
		}
		id := strings.TrimSpace(cc.Route.EscalationPolicy)
		switch {
		case id == "":
			c.fail(at+".route.escalation_policy", "missing escalation_policy: the ID of the PagerDuty escalation policy this class belongs with, e.g. PDB1234 (the end of the policy's address in PagerDuty's web app)")
		case !policyID.MatchString(id):
			c.fail(at+".route.escalation_policy", "%s is not a PagerDuty ID: write the policy's ID (upper-case letters and digits, e.g. PDB1234), not its name", strconv.Quote(id))
		default:
			if cl.routes == nil {
				cl.routes = map[string]Route{}
			}
			cl.routes[name] = Route{Class: name, EscalationPolicy: id}
		}
	}
}

// Route is where incidents of class belong, when the config says.
func (c *Classifier) Route(class string) (Route, bool) {
	if c == nil {
		return Route{}, false
	}
	r, ok := c.routes[class]
	return r, ok
}

// StormWindow is how close the starts of related incidents must be for
// them to make a storm.
func (c *Classifier) StormWindow() time.Duration {
	if c == nil || c.stormWindow <= 0 {
		return DefaultStormWindow
	}
	return c.stormWindow
}

// String describes a route for messages.
func (r Route) String() string {
	return fmt.Sprintf("class %s → escalation policy %s", r.Class, r.EscalationPolicy)
}
