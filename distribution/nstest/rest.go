package nstest

import (
	"encoding/json"
	"net/http"
)

func invalidToken(w http.ResponseWriter, a *Account) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="`+string(a.id)+`", error="invalid_token", error_description="Invalid login attempt."`)
	writeREST(w, http.StatusUnauthorized, "INVALID_LOGIN", "Invalid login attempt. For more details, see the Login Audit Trail in the NetSuite UI at Setup > Users/Roles > User Management > View Login Audit Trail.")
}

// writeREST writes a REST web services error body (RFC 9457 problem
// details with NetSuite's o:errorDetails).
func writeREST(w http.ResponseWriter, status int, code, detail string) {
	w.Header().Set("Content-Type", "application/vnd.oracle.resource+json; type=error")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{ //nolint:errcheck
		"type": "https://www.rfc-editor.org/rfc/rfc9110.html#section-15", "title": http.StatusText(status), "status": status,
		"o:errorDetails": []map[string]string{{"detail": detail, "o:errorCode": code}},
	})
}
