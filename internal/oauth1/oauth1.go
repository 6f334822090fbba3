// Package oauth1 signs requests to NetSuite's REST-domain endpoints the
// OAuth 1.0a way NetSuite documents (section_1534941088,
// section_157651396916): RFC 5849 percent-encoding, a base string of
// method, URL without query and the sorted parameters (query and oauth_,
// never realm or oauth_signature), a key of consumer secret & token
// secret, HMAC-SHA256, Base64.
package oauth1

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/url"
	"sort"
	"strings"
)

// Encode percent-encodes per RFC 5849 §3.6: unreserved characters stay,
// everything else is %XX with upper-case hex; a space is %20.
func Encode(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// Param is one name=value pair.
type Param struct{ Name, Value string }

// BaseString builds the signature base string for method and rawURL
// (whose query parameters join params). realm and oauth_signature are left out.
func BaseString(method, rawURL string, params []Param) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", err
	}
	all := make([]Param, 0, len(params)+4)
	for _, p := range params {
		if p.Name == "realm" || p.Name == "oauth_signature" {
			continue
		}
		all = append(all, Param{Encode(p.Name), Encode(p.Value)})
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return "", err
	}
	for k, vs := range q {
		for _, v := range vs {
			all = append(all, Param{Encode(k), Encode(v)})
		}
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].Name != all[j].Name {
			return all[i].Name < all[j].Name
		}
		return all[i].Value < all[j].Value
	})
	pairs := make([]string, len(all))
	for i, p := range all {
		pairs[i] = p.Name + "=" + p.Value
	}
	base := strings.ToLower(u.Scheme) + "://" + strings.ToLower(u.Host) + u.EscapedPath()
	return strings.ToUpper(method) + "&" + Encode(base) + "&" + Encode(strings.Join(pairs, "&")), nil
}

// Sign returns Base64(HMAC-SHA256(enc(consumerSecret)&enc(tokenSecret), base)).
func Sign(base, consumerSecret, tokenSecret string) string {
	mac := hmac.New(sha256.New, []byte(Encode(consumerSecret)+"&"+Encode(tokenSecret)))
	mac.Write([]byte(base))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// Header builds the Authorization header: OAuth realm="…", then the
// parameters in the given order, each value percent-encoded, and
// oauth_signature last.
func Header(realm string, params []Param, signature string) string {
	var b strings.Builder
	b.WriteString("OAuth ")
	if realm != "" {
		b.WriteString(`realm="` + Encode(realm) + `", `)
	}
	for _, p := range params {
		b.WriteString(p.Name + `="` + Encode(p.Value) + `", `)
	}
	b.WriteString(`oauth_signature="` + Encode(signature) + `"`)
	return b.String()
}

// ParseHeader reads an OAuth Authorization header into its parameters (decoded).
func ParseHeader(h string) (map[string]string, bool) { return ParseParams("OAuth", h) }

// ParseParams reads an Authorization header of the given scheme ("OAuth",
// "NLAuth") made of comma-separated name=value pairs, values optionally
// quoted and percent-encoded.
func ParseParams(scheme, h string) (map[string]string, bool) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(h), scheme+" ")
	if !ok {
		return nil, false
	}
	out := map[string]string{}
	for _, part := range strings.Split(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return nil, false
		}
		v = strings.Trim(v, `"`)
		dv, err := url.PathUnescape(v)
		if err != nil {
			return nil, false
		}
		out[strings.TrimSpace(k)] = dv
	}
	return out, true
}
