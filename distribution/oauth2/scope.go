package oauth2

import (
	"errors"
	"fmt"
	"strings"
)

// Scope is an OAuth 2.0 scope NetSuite knows (section_158081944642).
type Scope string

// The scopes of an integration record's OAuth 2.0 scope boxes.
const (
	ScopeRESTlets        Scope = "restlets"
	ScopeRESTWebServices Scope = "rest_webservices"
	ScopeSuiteAnalytics  Scope = "suite_analytics"
	// ScopeMCP is the NetSuite AI Connector Service; it must be requested
	// alone (section_158081944642, section_157771733782).
	ScopeMCP Scope = "mcp"
)

// ErrScope is wrapped by every scope validation error.
var ErrScope = errors.New("oauth2: invalid scope")

// ParseScopes reads scopes separated by spaces or commas, the way the
// -scope flags of the examples take them, and validates them.
func ParseScopes(s string) ([]Scope, error) {
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' || r == '\t' })
	out := make([]Scope, 0, len(fields))
	for _, f := range fields {
		out = append(out, Scope(f))
	}
	if err := ValidateScopes(out); err != nil {
		return nil, err
	}
	return out, nil
}

// ValidateScopes checks a scope list: at least one, only NetSuite's
// values, no repeats, and mcp only alone (section_158081944642).
func ValidateScopes(scopes []Scope) error {
	if len(scopes) == 0 {
		return fmt.Errorf("%w: none given; use one or more of restlets, rest_webservices, suite_analytics (or mcp alone)", ErrScope)
	}
	seen := map[Scope]bool{}
	for _, s := range scopes {
		switch s {
		case ScopeRESTlets, ScopeRESTWebServices, ScopeSuiteAnalytics, ScopeMCP:
		default:
			return fmt.Errorf("%w %q: NetSuite knows restlets, rest_webservices, suite_analytics and mcp", ErrScope, truncate(string(s), 40))
		}
		if seen[s] {
			return fmt.Errorf("%w: %s given twice", ErrScope, s)
		}
		seen[s] = true
	}
	if seen[ScopeMCP] && len(scopes) > 1 {
		return fmt.Errorf("%w: mcp (the NetSuite AI Connector Service) must be requested alone", ErrScope)
	}
	return nil
}

func joinScopes(scopes []Scope, sep string) string {
	s := make([]string, len(scopes))
	for i, v := range scopes {
		s[i] = string(v)
	}
	return strings.Join(s, sep)
}

func hasScope(scopes []Scope, want Scope) bool {
	for _, s := range scopes {
		if s == want {
			return true
		}
	}
	return false
}

// Prompt is the authorize request's prompt parameter (section_158081944642).
type Prompt string

// The prompt values NetSuite accepts. The zero value sends none.
const (
	// PromptNone shows no consent screen and fails without a NetSuite
	// session. Not allowed with mcp.
	PromptNone Prompt = "none"
	// PromptLogin forces the user to log in again. It works only on the
	// account-specific domain, so it needs a known account.
	PromptLogin Prompt = "login"
	// PromptConsent shows the consent screen every time, whatever the
	// record's Consent Policy (section_162626471013).
	PromptConsent Prompt = "consent"
	// PromptLoginConsent is login and consent together.
	PromptLoginConsent Prompt = "login consent"
)

// ErrPrompt is wrapped by every prompt validation error.
var ErrPrompt = errors.New("oauth2: invalid prompt")

// normalize returns the canonical form of p, or an error.
func (p Prompt) normalize() (Prompt, error) {
	switch strings.Join(strings.Fields(string(p)), " ") {
	case "":
		return "", nil
	case "none":
		return PromptNone, nil
	case "login":
		return PromptLogin, nil
	case "consent":
		return PromptConsent, nil
	case "login consent", "consent login":
		return PromptLoginConsent, nil
	}
	return "", fmt.Errorf("%w %q: NetSuite accepts none, login, consent, or login and consent together", ErrPrompt, truncate(string(p), 40))
}

func (p Prompt) hasLogin() bool { return p == PromptLogin || p == PromptLoginConsent }

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
