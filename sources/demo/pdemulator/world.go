package pdemulator

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// User is a PagerDuty user. Agents are looked up by Email, the value the
// From header carries.
type User struct {
	ID       string // empty: generated
	Name     string
	Email    string
	TimeZone string // IANA name; empty means "Etc/UTC"
	Role     string // empty means "user"
	JobTitle string
	TeamIDs  []string
}

// Team is a PagerDuty team.
type Team struct {
	ID          string // empty: generated
	Name        string
	Description string
}

// Schedule is an on-call schedule; who is on it comes from OnCall entries.
type Schedule struct {
	ID       string // empty: generated
	Name     string
	TimeZone string
}

// EscalationPolicy is a list of levels tried in order.
type EscalationPolicy struct {
	ID          string // empty: generated
	Name        string
	Description string
	NumLoops    int
	TeamIDs     []string
	Levels      []EscalationLevel
}

// EscalationLevel is one escalation rule. An incident at this level is
// assigned to its users and to whoever is on call for its schedules.
type EscalationLevel struct {
	DelayMinutes int // empty means 30
	UserIDs      []string
	ScheduleIDs  []string
}

// Service is a PagerDuty service; its incidents inherit its teams and
// escalation policy.
type Service struct {
	ID                 string // empty: generated
	Name               string
	Description        string
	EscalationPolicyID string
	TeamIDs            []string
	// AckTimeout is how long an acknowledgement lasts, reported in
	// acknowledge log entries; 0 means 30 minutes.
	AckTimeout time.Duration
}

// OnCall says a user is on call for a policy level (through a schedule, or
// directly when ScheduleID is empty) between Start and End; zero times are
// open-ended.
type OnCall struct {
	UserID             string
	EscalationPolicyID string
	Level              int
	ScheduleID         string
	Start, End         time.Time
}

// Priority is an incident priority such as P1.
type Priority struct {
	ID          string // empty: generated
	Name        string
	Description string
	Color       string
}

// world is everything the emulator knows. Slices keep insertion order so
// that responses are deterministic; maps index them.
type world struct {
	seq map[byte]int

	users       []*User
	userByID    map[string]*User
	userByEmail map[string]*User
	currentUser string

	teams    []*Team
	teamByID map[string]*Team

	schedules    []*Schedule
	scheduleByID map[string]*Schedule

	policies   []*EscalationPolicy
	policyByID map[string]*EscalationPolicy

	services    []*Service
	serviceByID map[string]*Service

	oncalls []*OnCall

	priorities   []*Priority
	priorityByID map[string]*Priority

	incidents      []*incident
	incidentByID   map[string]*incident
	incidentNumber int

	changes []*changeEvent

	dependencies []*dependency

	// autoEscalate is Options.AutoEscalate.
	autoEscalate bool
}

func newWorld() *world {
	return &world{
		seq:          map[byte]int{},
		userByID:     map[string]*User{},
		userByEmail:  map[string]*User{},
		teamByID:     map[string]*Team{},
		scheduleByID: map[string]*Schedule{},
		policyByID:   map[string]*EscalationPolicy{},
		serviceByID:  map[string]*Service{},
		priorityByID: map[string]*Priority{},
		incidentByID: map[string]*incident{},
	}
}

// newID makes a deterministic, PagerDuty-looking seven-character ID: a
// prefix letter for the kind of object and a base-36 sequence number.
func (w *world) newID(prefix byte) string {
	w.seq[prefix]++
	n := strings.ToUpper(strconv.FormatInt(int64(w.seq[prefix]), 36))
	return string(prefix) + strings.Repeat("0", max(0, 6-len(n))) + n
}

var errEmptyName = errors.New("name must not be empty")

func (w *world) idTaken(id string) bool {
	return w.userByID[id] != nil || w.teamByID[id] != nil || w.scheduleByID[id] != nil ||
		w.policyByID[id] != nil || w.serviceByID[id] != nil || w.priorityByID[id] != nil
}

func (w *world) assignID(id *string, prefix byte) error {
	if *id == "" {
		for {
			*id = w.newID(prefix)
			if !w.idTaken(*id) {
				return nil
			}
		}
	}
	if w.idTaken(*id) {
		return fmt.Errorf("ID %s is already used", *id)
	}
	return nil
}

func (w *world) checkTeams(ids []string) error {
	for _, id := range ids {
		if w.teamByID[id] == nil {
			return fmt.Errorf("unknown team %s", id)
		}
	}
	return nil
}

// AddUser adds a user and returns its ID.
func (s *Server) AddUser(u User) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.world
	if u.Name == "" || u.Email == "" {
		return "", fmt.Errorf("add user: name and email are required")
	}
	if w.userByEmail[strings.ToLower(u.Email)] != nil {
		return "", fmt.Errorf("add user %s: email %s is already used", u.Name, u.Email)
	}
	if err := w.checkTeams(u.TeamIDs); err != nil {
		return "", fmt.Errorf("add user %s: %w", u.Name, err)
	}
	if err := w.assignID(&u.ID, 'P'); err != nil {
		return "", fmt.Errorf("add user %s: %w", u.Name, err)
	}
	if u.TimeZone == "" {
		u.TimeZone = "Etc/UTC"
	}
	if u.Role == "" {
		u.Role = "user"
	}
	u.TeamIDs = append([]string(nil), u.TeamIDs...)
	w.users = append(w.users, &u)
	w.userByID[u.ID] = &u
	w.userByEmail[strings.ToLower(u.Email)] = &u
	return u.ID, nil
}

// SetCurrentUser makes the user the token's owner, the one /users/me returns.
func (s *Server) SetCurrentUser(userID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.world.userByID[userID] == nil {
		return fmt.Errorf("set current user: unknown user %s", userID)
	}
	s.world.currentUser = userID
	return nil
}

// AddTeam adds a team and returns its ID.
func (s *Server) AddTeam(t Team) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t.Name == "" {
		return "", fmt.Errorf("add team: %w", errEmptyName)
	}
	if err := s.world.assignID(&t.ID, 'T'); err != nil {
		return "", fmt.Errorf("add team %s: %w", t.Name, err)
	}
	s.world.teams = append(s.world.teams, &t)
	s.world.teamByID[t.ID] = &t
	return t.ID, nil
}

// AddSchedule adds a schedule and returns its ID.
func (s *Server) AddSchedule(sc Schedule) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sc.Name == "" {
		return "", fmt.Errorf("add schedule: %w", errEmptyName)
	}
	if err := s.world.assignID(&sc.ID, 'S'); err != nil {
		return "", fmt.Errorf("add schedule %s: %w", sc.Name, err)
	}
	if sc.TimeZone == "" {
		sc.TimeZone = "Etc/UTC"
	}
	s.world.schedules = append(s.world.schedules, &sc)
	s.world.scheduleByID[sc.ID] = &sc
	return sc.ID, nil
}

// AddEscalationPolicy adds a policy and returns its ID. Every level needs at
// least one user or schedule target.
func (s *Server) AddEscalationPolicy(p EscalationPolicy) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.world
	if p.Name == "" {
		return "", fmt.Errorf("add escalation policy: %w", errEmptyName)
	}
	if len(p.Levels) == 0 {
		return "", fmt.Errorf("add escalation policy %s: at least one level is required", p.Name)
	}
	if err := w.checkTeams(p.TeamIDs); err != nil {
		return "", fmt.Errorf("add escalation policy %s: %w", p.Name, err)
	}
	levels := make([]EscalationLevel, len(p.Levels))
	for i, l := range p.Levels {
		if len(l.UserIDs)+len(l.ScheduleIDs) == 0 {
			return "", fmt.Errorf("add escalation policy %s: level %d has no targets", p.Name, i+1)
		}
		for _, id := range l.UserIDs {
			if w.userByID[id] == nil {
				return "", fmt.Errorf("add escalation policy %s: level %d: unknown user %s", p.Name, i+1, id)
			}
		}
		for _, id := range l.ScheduleIDs {
			if w.scheduleByID[id] == nil {
				return "", fmt.Errorf("add escalation policy %s: level %d: unknown schedule %s", p.Name, i+1, id)
			}
		}
		if l.DelayMinutes <= 0 {
			l.DelayMinutes = 30
		}
		levels[i] = EscalationLevel{DelayMinutes: l.DelayMinutes, UserIDs: append([]string(nil), l.UserIDs...), ScheduleIDs: append([]string(nil), l.ScheduleIDs...)}
	}
	p.Levels = levels
	if err := w.assignID(&p.ID, 'E'); err != nil {
		return "", fmt.Errorf("add escalation policy %s: %w", p.Name, err)
	}
	p.TeamIDs = append([]string(nil), p.TeamIDs...)
	w.policies = append(w.policies, &p)
	w.policyByID[p.ID] = &p
	return p.ID, nil
}

// AddService adds a service and returns its ID.
func (s *Server) AddService(sv Service) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.world
	if sv.Name == "" {
		return "", fmt.Errorf("add service: %w", errEmptyName)
	}
	if w.policyByID[sv.EscalationPolicyID] == nil {
		return "", fmt.Errorf("add service %s: unknown escalation policy %q", sv.Name, sv.EscalationPolicyID)
	}
	if err := w.checkTeams(sv.TeamIDs); err != nil {
		return "", fmt.Errorf("add service %s: %w", sv.Name, err)
	}
	if err := w.assignID(&sv.ID, 'V'); err != nil {
		return "", fmt.Errorf("add service %s: %w", sv.Name, err)
	}
	if sv.AckTimeout <= 0 {
		sv.AckTimeout = 30 * time.Minute
	}
	sv.TeamIDs = append([]string(nil), sv.TeamIDs...)
	w.services = append(w.services, &sv)
	w.serviceByID[sv.ID] = &sv
	return sv.ID, nil
}

// AddOnCall records an on-call shift.
func (s *Server) AddOnCall(oc OnCall) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.world
	if w.userByID[oc.UserID] == nil {
		return fmt.Errorf("add on-call: unknown user %q", oc.UserID)
	}
	p := w.policyByID[oc.EscalationPolicyID]
	if p == nil {
		return fmt.Errorf("add on-call: unknown escalation policy %q", oc.EscalationPolicyID)
	}
	if oc.Level < 1 || oc.Level > len(p.Levels) {
		return fmt.Errorf("add on-call: level %d outside 1..%d of policy %s", oc.Level, len(p.Levels), p.Name)
	}
	if oc.ScheduleID != "" && w.scheduleByID[oc.ScheduleID] == nil {
		return fmt.Errorf("add on-call: unknown schedule %q", oc.ScheduleID)
	}
	if !oc.End.IsZero() && !oc.End.After(oc.Start) {
		return fmt.Errorf("add on-call: end %s is not after start %s", oc.End, oc.Start)
	}
	w.oncalls = append(w.oncalls, &oc)
	return nil
}

// AddPriority adds a priority and returns its ID. Priorities are listed in
// the order they are added, most severe first by convention.
func (s *Server) AddPriority(p Priority) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p.Name == "" {
		return "", fmt.Errorf("add priority: %w", errEmptyName)
	}
	if err := s.world.assignID(&p.ID, 'R'); err != nil {
		return "", fmt.Errorf("add priority %s: %w", p.Name, err)
	}
	s.world.priorities = append(s.world.priorities, &p)
	s.world.priorityByID[p.ID] = &p
	return p.ID, nil
}

// AddStandardPriorities adds P1 to P5 with PagerDuty's default descriptions
// and returns their IDs, P1 first.
func (s *Server) AddStandardPriorities() ([]string, error) {
	std := []Priority{
		{Name: "P1", Description: "Critical issue that warrants public notification and liaison with executive teams", Color: "a8171c"},
		{Name: "P2", Description: "Critical system issue actively impacting many customers' ability to use the product", Color: "eb6016"},
		{Name: "P3", Description: "Stability or minor customer-impacting issues that require immediate attention from service owners", Color: "f9b406"},
		{Name: "P4", Description: "Minor issues requiring action, but not affecting customer ability to use the product", Color: "555555"},
		{Name: "P5", Description: "Cosmetic issues or bugs, not affecting customer ability to use the product", Color: "555555"},
	}
	ids := make([]string, 0, len(std))
	for _, p := range std {
		id, err := s.AddPriority(p)
		if err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// onCallUsers resolves who an escalation level pages at time t: its direct
// users, then the users on call for its schedules, without duplicates.
func (w *world) onCallUsers(p *EscalationPolicy, level int, t time.Time) []string {
	if level < 1 || level > len(p.Levels) {
		return nil
	}
	l := p.Levels[level-1]
	var out []string
	seen := map[string]bool{}
	add := func(id string) {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	for _, id := range l.UserIDs {
		add(id)
	}
	for _, sched := range l.ScheduleIDs {
		for _, oc := range w.oncalls {
			if oc.ScheduleID == sched && oc.covers(t) {
				add(oc.UserID)
			}
		}
	}
	return out
}

func (oc *OnCall) covers(t time.Time) bool {
	return (oc.Start.IsZero() || !t.Before(oc.Start)) && (oc.End.IsZero() || t.Before(oc.End))
}
