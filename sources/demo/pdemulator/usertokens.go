package pdemulator

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
)

// User tokens. PagerDuty's user API tokens belong to one user: /users/me
// answers that user, and whatever the token writes (a note, an
// acknowledgement) is recorded as that user's, whatever the From header
// says. The demo gives each of its people one, so that two sitreps on one
// world are two people, and a note's author is who wrote it.

type tokenUserKey struct{}

// AddUserToken gives the user a token of its own and returns it.
func (s *Server) AddUserToken(userID string) (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("add user token: %w", err)
	}
	tok := "user-" + hex.EncodeToString(b)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.world.userByID[userID] == nil {
		return "", fmt.Errorf("add user token: unknown user %s", userID)
	}
	if s.userTokens == nil {
		s.userTokens = map[string]string{}
	}
	s.userTokens[tok] = userID
	return tok, nil
}

// tokenUser is the user whose token the Authorization header carries, or
// "" for the account's token (or none).
func (s *Server) tokenUser(header string) string {
	scheme, cred, ok := strings.Cut(header, " ")
	if !ok {
		return ""
	}
	tok := cred
	if strings.EqualFold(scheme, "Token") {
		tok, _ = strings.CutPrefix(cred, "token=")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for t, id := range s.userTokens {
		if subtle.ConstantTimeCompare([]byte(t), []byte(tok)) == 1 {
			return id
		}
	}
	return ""
}

// withTokenUser marks the request with its token's user.
func withTokenUser(r *http.Request, userID string) *http.Request {
	if userID == "" {
		return r
	}
	return r.WithContext(context.WithValue(r.Context(), tokenUserKey{}, userID))
}

// requestUser is the user a request's token belongs to, or "".
func requestUser(r *http.Request) string {
	id, _ := r.Context().Value(tokenUserKey{}).(string)
	return id
}
