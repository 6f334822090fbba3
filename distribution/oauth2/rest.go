package oauth2

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// ServerTime calls REST GET /services/rest/system/v1/serverTime with tok.
// It needs no permission (article_0528010158), so a 200 proves the token
// works: the record is installed and Enabled in the account. NetSuite
// refuses every bad case the same way, a 401 invalid_token "Invalid login
// attempt." (subsect_158521885412): the *Error's NextStep explains what it
// most likely means right after an authorization.
func (c *Client) ServerTime(ctx context.Context, tok *Token) (time.Time, error) {
	resp, err := c.bearer(ctx, OpServerTime, tok, http.MethodGet, tok.Account.SuiteTalkHost(), ServerTimePath, nil)
	if err != nil {
		return time.Time{}, err
	}
	var v struct {
		ServerTime string `json:"serverTime"`
	}
	if err := json.Unmarshal(resp.body, &v); err != nil || v.ServerTime == "" {
		return time.Time{}, fmt.Errorf("%w: serverTime for account %s: no serverTime in the answer (%s)", ErrResponse, tok.Account, describeBody(resp))
	}
	t, err := time.Parse(time.RFC3339Nano, v.ServerTime)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: serverTime for account %s: %q is no RFC 3339 time", ErrResponse, tok.Account, clean(v.ServerTime, []string{tok.AccessToken, tok.RefreshToken}))
	}
	return t, nil
}

// bearer sends a request with tok as Bearer credential and maps a refusal
// to an *Error (the WWW-Authenticate challenge parsed).
func (c *Client) bearer(ctx context.Context, op string, tok *Token, method, host, path string, body []byte) (*response, error) {
	if tok == nil || tok.AccessToken == "" {
		return nil, fmt.Errorf("%w: no access token", ErrConfig)
	}
	if err := tok.Account.Validate(); err != nil {
		return nil, fmt.Errorf("oauth2: %s: %w", op, err)
	}
	secrets := []string{tok.AccessToken, tok.RefreshToken}
	resp, err := c.do(ctx, &request{op: op, account: tok.Account, method: method, host: host, path: path, json: body, auth: "Bearer " + tok.AccessToken, secrets: secrets})
	if err != nil {
		return nil, err
	}
	if resp.status/100 == 2 {
		return resp, nil
	}
	e := newError(op, tok.Account, resp, "", "", secrets)
	if ch := e.Challenge; ch != nil && ch.Params["error"] != "" {
		e.Code, e.Description = errorCode(ch.Params["error"], secrets), clean(ch.Params["error_description"], secrets)
	}
	if e.Code == "" {
		var j struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(resp.body, &j) == nil && j.Error != "" {
			e.Code = errorCode(j.Error, secrets)
		}
	}
	switch {
	case e.Code == "" && resp.status == http.StatusTooManyRequests:
		e.Code = CodeTooManyRequests
	case e.Code == "" && resp.status == http.StatusUnauthorized:
		e.Code = CodeInvalidToken
	}
	return nil, stepped(e)
}

// Certificate is one client-credentials certificate mapping as the
// certificate rotation endpoint lists it (article_92130837826).
type Certificate struct {
	ID          string `json:"certificate_id"`
	Application string `json:"application,omitempty"`
	Entity      string `json:"entity,omitempty"`
	Role        string `json:"role,omitempty"`
	Algorithm   string `json:"algorithm,omitempty"`
	Created     string `json:"created,omitempty"`
	ValidFrom   string `json:"valid_from,omitempty"`
	ValidUntil  string `json:"valid_until,omitempty"`
	Revoked     bool   `json:"revoked"`
}

// UnmarshalJSON accepts ids and role numbers as strings or numbers.
func (c *Certificate) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	str := func(k string) string {
		v, ok := raw[k]
		if !ok {
			return ""
		}
		var s string
		if json.Unmarshal(v, &s) == nil {
			return s
		}
		var n json.Number
		if json.Unmarshal(v, &n) == nil {
			return n.String()
		}
		var o struct {
			ID   json.Number `json:"id"`
			Name string      `json:"refName"`
		}
		if json.Unmarshal(v, &o) == nil {
			if o.ID != "" {
				return o.ID.String()
			}
			return o.Name
		}
		return ""
	}
	*c = Certificate{ID: str("certificate_id"), Application: str("application"), Entity: str("entity"), Role: str("role"),
		Algorithm: str("algorithm"), Created: str("created"), ValidFrom: str("valid_from"), ValidUntil: str("valid_until")}
	if v, ok := raw["revoked"]; ok {
		var b bool
		if json.Unmarshal(v, &b) != nil {
			var s string
			_ = json.Unmarshal(v, &s)
			b = s == "true" || s == "T"
		}
		c.Revoked = b
	}
	return nil
}

func (c *Client) certsPath(suffix string) string {
	return fmt.Sprintf(certificatesPath, urlPathEscape(c.cfg.ClientID)) + suffix
}

// Certificates lists the client-credentials certificates of this client's
// record in tok's account, through the certificate rotation endpoint on
// the RESTlets host (article_92130837826). tok needs the rest_webservices
// scope and a role with "Manage own OAuth 2.0 Client Credentials
// certificates"; a code-grant token works, so a vendor can register its
// certificate once the grant has installed the record.
func (c *Client) Certificates(ctx context.Context, tok *Token) ([]Certificate, error) {
	resp, err := c.bearer(ctx, OpCertificates, tok, http.MethodGet, tok.Account.RESTletsHost(), c.certsPath(""), nil)
	if err != nil {
		return nil, err
	}
	var list []Certificate
	if err := json.Unmarshal(resp.body, &list); err != nil {
		var wrapped struct {
			Items []Certificate `json:"items"`
		}
		if json.Unmarshal(resp.body, &wrapped) != nil {
			return nil, fmt.Errorf("%w: certificates for account %s: not a JSON list (%s)", ErrResponse, tok.Account, describeBody(resp))
		}
		list = wrapped.Items
	}
	return list, nil
}

// AddCertificate uploads a public certificate (PEM) for (role, entity) and
// returns its certificate id: the kid of the assertions signed with the
// matching key. At most 5 active certificates per record
// (section_162686838198).
func (c *Client) AddCertificate(ctx context.Context, tok *Token, certPEM []byte, role, entity string) (string, error) {
	roleID, err := strconv.Atoi(role)
	if err != nil || roleID < 0 {
		return "", fmt.Errorf("%w: role %q: want the role's internal id, a number", ErrConfig, truncate(role, 20))
	}
	if entity == "" {
		return "", fmt.Errorf("%w: entity is empty: want the user's internal id", ErrConfig)
	}
	body, _ := json.Marshal(map[string]any{"fileContent": string(certPEM), "role": roleID, "entity": entity})
	resp, err := c.bearer(ctx, OpCertificates, tok, http.MethodPost, tok.Account.RESTletsHost(), c.certsPath(""), body)
	if err != nil {
		return "", err
	}
	var cert Certificate
	if err := json.Unmarshal(resp.body, &cert); err != nil || cert.ID == "" {
		return "", fmt.Errorf("%w: add certificate for account %s: no certificate_id in the answer (%s)", ErrResponse, tok.Account, describeBody(resp))
	}
	return cert.ID, nil
}

// RevokeCertificate revokes a certificate mapping. A revoked certificate
// cannot be used again (section_162686838198).
func (c *Client) RevokeCertificate(ctx context.Context, tok *Token, certificateID string) error {
	if certificateID == "" || !printable(certificateID) || len(certificateID) > 200 {
		return fmt.Errorf("%w: bad certificate id", ErrConfig)
	}
	_, err := c.bearer(ctx, OpCertificates, tok, http.MethodPost, tok.Account.RESTletsHost(), c.certsPath("/"+urlPathEscape(certificateID)+"/revoke"), nil)
	return err
}

func urlPathEscape(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		b := s[i]
		if b == '-' || b == '_' || b == '.' || b == '~' || (b >= '0' && b <= '9') || (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') {
			out = append(out, b)
			continue
		}
		out = append(out, '%', "0123456789ABCDEF"[b>>4], "0123456789ABCDEF"[b&15])
	}
	return string(out)
}
