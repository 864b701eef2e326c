package world

import (
	"fmt"

	"sitrep/sources/demo/pdemulator"
)

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
	teamNames = map[string]string{
		"payments": "Payments", "checkout": "Checkout", "edge": "Edge", "platform": "Platform",
	}
	// Who is on call: level 1 and level 2 of each team's policy.
	rota = map[string][2]string{
		"payments": {"alice", "bob"},
		"checkout": {"carmen", "alice"},
		"edge":     {"dev", "erin"},
		"platform": {"erin", "dev"},
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
func buildCast(pd *pdemulator.Server) (cast, error) {
	c := cast{users: map[string]string{}, teams: map[string]string{}, services: map[string]string{}, priorities: map[string]string{}}
	for _, key := range []string{"payments", "checkout", "edge", "platform"} {
		id, err := pd.AddTeam(pdemulator.Team{Name: teamNames[key]})
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
	for team, who := range rota {
		id, err := pd.AddEscalationPolicy(pdemulator.EscalationPolicy{
			Name:     teamNames[team] + " on-call",
			NumLoops: 2,
			TeamIDs:  []string{c.teams[team]},
			Levels: []pdemulator.EscalationLevel{
				{DelayMinutes: 15, UserIDs: []string{c.users[who[0]]}},
				{DelayMinutes: 15, UserIDs: []string{c.users[who[1]]}},
			},
		})
		if err != nil {
			return c, err
		}
		policies[team] = id
		for level, user := range who {
			if err := pd.AddOnCall(pdemulator.OnCall{UserID: c.users[user], EscalationPolicyID: id, Level: level + 1}); err != nil {
				return c, err
			}
		}
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
	return c, nil
}
