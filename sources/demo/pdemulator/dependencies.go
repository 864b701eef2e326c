package pdemulator

import (
	"fmt"
	"net/http"
)

// dependency says one technical service depends on another: an outage of
// the supporting service can surface as incidents on the dependent one.
type dependency struct {
	id         string
	dependent  string // service ID
	supporting string // service ID
}

// AddServiceDependency records that the dependent service relies on the
// supporting one and returns the relationship's ID.
func (s *Server) AddServiceDependency(dependentID, supportingID string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.world
	if w.serviceByID[dependentID] == nil {
		return "", fmt.Errorf("add service dependency: unknown dependent service %q", dependentID)
	}
	if w.serviceByID[supportingID] == nil {
		return "", fmt.Errorf("add service dependency: unknown supporting service %q", supportingID)
	}
	if dependentID == supportingID {
		return "", fmt.Errorf("add service dependency: service %s cannot depend on itself", dependentID)
	}
	for _, d := range w.dependencies {
		if d.dependent == dependentID && d.supporting == supportingID {
			return "", fmt.Errorf("add service dependency: %s already depends on %s", dependentID, supportingID)
		}
	}
	d := &dependency{id: w.newID('D'), dependent: dependentID, supporting: supportingID}
	w.dependencies = append(w.dependencies, d)
	return d.id, nil
}

type wireServiceRef struct {
	ID   string `json:"id"`
	Type string `json:"type"`
}

type wireRelationship struct {
	ID                string         `json:"id"`
	Type              string         `json:"type"`
	SupportingService wireServiceRef `json:"supporting_service"`
	DependentService  wireServiceRef `json:"dependent_service"`
}

// handleServiceDependencies answers GET
// /service_dependencies/technical_services/{id}: every relationship the
// service takes part in, on either side, in the order they were added.
func (s *Server) handleServiceDependencies(w http.ResponseWriter, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.world.serviceByID[id] == nil {
		writeAPIError(w, notFound("service "+id+" does not exist"))
		return
	}
	out := []wireRelationship{}
	for _, d := range s.world.dependencies {
		if d.dependent != id && d.supporting != id {
			continue
		}
		out = append(out, wireRelationship{
			ID: d.id, Type: "service_dependency",
			SupportingService: wireServiceRef{ID: d.supporting, Type: "technical_service_reference"},
			DependentService:  wireServiceRef{ID: d.dependent, Type: "technical_service_reference"},
		})
	}
	writeJSON(w, http.StatusOK, struct {
		Relationships []wireRelationship `json:"relationships"`
	}{out})
}
