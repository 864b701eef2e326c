package world

import (
	"fmt"
	"time"

	"sitrep/sources/demo/pdemulator"
)

// PaymentsTeamID is the Payments team's PagerDuty ID, fixed so that the
// demo catalogue's approval guard can name it.
const PaymentsTeamID = "PPAYMTS"

// cast is the demo's people, teams and services, by short name.
type cast struct {
	users      map[string]string // short name -> user ID
	teams      map[string]string
	services   map[string]string
	priorities map[string]string // P1..P5 -> ID
}

type personSpec struct {
	key, name, email, title string
	teams                   []string
}

type serviceSpec struct {
	key, name, team string
}

var (
	people = []personSpec{
		{"alice", "Alice Chen", "alice@sitrep-demo.example", "SRE", []string{"payments", "checkout"}},
		{"bob", "Bob Okafor", "bob@sitrep-demo.example", "Payments engineer", []string{"payments"}},
		{"carmen", "Carmen Ruiz", "carmen@sitrep-demo.example", "DBA", []string{"checkout"}},
		{"dev", "Dev Patel", "dev@sitrep-demo.example", "Network engineer", []string{"edge"}},
		{"erin", "Erin Walsh", "erin@sitrep-demo.example", "Platform engineer", []string{"platform"}},
	}
	// fixedTeamIDs are the teams whose ID the demo catalogue names: its
	// prod rollback needs the approval of a member of Payments.
	fixedTeamIDs = map[string]string{"payments": PaymentsTeamID}
	teamNames    = map[string]string{
		"payments": "Payments", "checkout": "Checkout", "edge": "Edge", "platform": "Platform",
	}
	// Who is on call when the world starts: level 1 and level 2 of each
	// team's policy. They swap at every daily handoff.
	rota = map[string][2]string{
		"payments": {"alice", "bob"},
		"checkout": {"carmen", "alice"},
		"edge":     {"dev", "erin"},
		"platform": {"erin", "dev"},
	}
	// escalationDelays are each policy's escalation_delay_in_minutes for
	// level 1 and level 2. Checkout's first level is short (6 minutes: one
	// more than Carmen took to acknowledge the database), so that its
	// unacknowledged checkout-api incident escalates to its second level
	// (Alice) a few minutes into the demo, on screen.
	escalationDelays = map[string][2]int{
		"payments": {30, 30},
		"checkout": {6, 10},
		"edge":     {30, 30},
		"platform": {30, 30},
	}
	// Shifts are written for these many days before and after the start:
	// the past incidents' days are covered, and "my next shifts" has
	// answers for two weeks.
	shiftsBack, shiftsAhead = 11, 14
	// dependencies are technical service dependencies: dependent,
	// supporting. checkout-api and search-indexer read checkout-db.
	dependencies = [][2]string{
		{"checkout-api", "checkout-db"},
		{"search-indexer", "checkout-db"},
	}
	serviceSpecs = []serviceSpec{
		{"payment-gateway", "payment-gateway", "payments"},
		{"billing-worker", "billing-worker", "payments"},
		{"checkout-db", "checkout-db", "checkout"},
		{"checkout-api", "checkout-api", "checkout"},
		{"edge-proxy", "edge-proxy", "edge"},
		{"search-indexer", "search-indexer", "platform"},
		{"auth-service", "auth-service", "platform"},
	}
)

// buildCast adds the people, teams, policies, on-call entries and services.
func buildCast(pd *pdemulator.Server, handoff time.Time) (cast, error) {
	c := cast{users: map[string]string{}, teams: map[string]string{}, services: map[string]string{}, priorities: map[string]string{}}
	for _, key := range []string{"payments", "checkout", "edge", "platform"} {
		id, err := pd.AddTeam(pdemulator.Team{ID: fixedTeamIDs[key], Name: teamNames[key]})
		if err != nil {
			return c, err
		}
		c.teams[key] = id
	}
	for _, p := range people {
		var teamIDs []string
		for _, t := range p.teams {
			teamIDs = append(teamIDs, c.teams[t])
		}
		id, err := pd.AddUser(pdemulator.User{Name: p.name, Email: p.email, JobTitle: p.title, TimeZone: "Europe/Dublin", TeamIDs: teamIDs})
		if err != nil {
			return c, err
		}
		c.users[p.key] = id
	}
	if err := pd.SetCurrentUser(c.users["alice"]); err != nil {
		return c, err
	}
	policies := map[string]string{}
	for _, team := range []string{"payments", "checkout", "edge", "platform"} {
		id, err := addPolicy(pd, c, team, handoff)
		if err != nil {
			return c, err
		}
		policies[team] = id
	}
	for _, s := range serviceSpecs {
		id, err := pd.AddService(pdemulator.Service{Name: s.name, EscalationPolicyID: policies[s.team], TeamIDs: []string{c.teams[s.team]}})
		if err != nil {
			return c, err
		}
		c.services[s.key] = id
	}
	ids, err := pd.AddStandardPriorities()
	if err != nil {
		return c, err
	}
	for i, id := range ids {
		c.priorities[fmt.Sprintf("P%d", i+1)] = id
	}
	for _, d := range dependencies {
		if _, err := pd.AddServiceDependency(c.services[d[0]], c.services[d[1]]); err != nil {
			return c, err
		}
	}
	return c, nil
}

// addPolicy adds a team's escalation policy: level 1 is the team's primary
// schedule, level 2 its secondary, with the team's delays, and daily
// shifts from shiftsBack days before the world's start to shiftsAhead days
// after it. The two people of the rota swap every day at the handoff: the
// shift that covers the start (and the storyline's history) is rota[0]'s
// on the primary, and it ends at handoff.
func addPolicy(pd *pdemulator.Server, c cast, team string, handoff time.Time) (string, error) {
	var scheds [2]string
	for i, which := range []string{"primary", "secondary"} {
		id, err := pd.AddSchedule(pdemulator.Schedule{Name: teamNames[team] + " " + which, TimeZone: "Europe/Dublin"})
		if err != nil {
			return "", err
		}
		scheds[i] = id
	}
	delays := escalationDelays[team]
	id, err := pd.AddEscalationPolicy(pdemulator.EscalationPolicy{
		Name:     teamNames[team] + " on-call",
		NumLoops: 2,
		TeamIDs:  []string{c.teams[team]},
		Levels: []pdemulator.EscalationLevel{
			{DelayMinutes: delays[0], ScheduleIDs: []string{scheds[0]}},
			{DelayMinutes: delays[1], ScheduleIDs: []string{scheds[1]}},
		},
	})
	if err != nil {
		return "", err
	}
	who := rota[team]
	for day := -shiftsBack; day < shiftsAhead; day++ {
		start := handoff.Add(time.Duration(day-1) * 24 * time.Hour)
		for level := range 2 {
			user := who[(level+abs(day))%2]
			if err := pd.AddOnCall(pdemulator.OnCall{UserID: c.users[user], EscalationPolicyID: id, Level: level + 1,
				ScheduleID: scheds[level], Start: start, End: start.Add(24 * time.Hour)}); err != nil {
				return "", err
			}
		}
	}
	return id, nil
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// handoffAfter is when the on-call shift running at the world's start ends:
// the whole hour nine hours later, so "on call until" is a real time and
// the shift outlasts any demo.
func handoffAfter(start time.Time) time.Time {
	return start.Add(9 * time.Hour).Truncate(time.Hour)
}
