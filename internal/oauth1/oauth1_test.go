package oauth1

import "testing"

// Oracle's published vectors (section_157652390285, section_157652573296,
// section_1534941088), byte for byte.
func TestOracleVectors(t *testing.T) {
	t.Parallel()
	const ck = "ef40afdd8abaac111b13825dd5e5e2ddddb44f86d5a0dd6dcf38c20aae6b67e4"
	const cs = "d26ad321a4b2f23b0741c8d38392ce01c3e23e109df6c96eac6d099e9ab9e8b5"
	const tok = "2b0ce516420110bcbd36b69e99196d1b7f6de3c6234c5afb799b73d87569f5cc"
	const ts = "c29a677df7d5439a458c063654187e3d678d73aca8e3c9d8bea1478a3eb0d295"
	restlet := []Param{{"oauth_consumer_key", ck}, {"oauth_token", tok}, {"oauth_nonce", "fjaLirsIcCGVZWzBX0pg"}, {"oauth_timestamp", "1508242306"}, {"oauth_signature_method", "HMAC-SHA256"}, {"oauth_version", "1.0"}, {"realm", "123456"}}
	base, err := BaseString("POST", "https://123456.restlets.api.netsuite.com/app/site/hosting/restlet.nl?script=6&deploy=1&customParam=someValue&testParam=someOtherValue", restlet)
	if err != nil {
		t.Fatal(err)
	}
	wantBase := "POST&https%3A%2F%2F123456.restlets.api.netsuite.com%2Fapp%2Fsite%2Fhosting%2Frestlet.nl&customParam%3DsomeValue%26deploy%3D1%26oauth_consumer_key%3Def40afdd8abaac111b13825dd5e5e2ddddb44f86d5a0dd6dcf38c20aae6b67e4%26oauth_nonce%3DfjaLirsIcCGVZWzBX0pg%26oauth_signature_method%3DHMAC-SHA256%26oauth_timestamp%3D1508242306%26oauth_token%3D2b0ce516420110bcbd36b69e99196d1b7f6de3c6234c5afb799b73d87569f5cc%26oauth_version%3D1.0%26script%3D6%26testParam%3DsomeOtherValue"
	if base != wantBase {
		t.Fatalf("base string\n got %s\nwant %s", base, wantBase)
	}
	if sig := Sign(base, cs, ts); sig != "+KK4SKNgz4ZiILGLwOMtfYlgcXSy1eis8ldE9X90azQ=" {
		t.Errorf("RESTlet signature = %s", sig)
	}
	if h := Header("123456", restlet[:6], Sign(base, cs, ts)); h[len(h)-len(`%2BKK4SKNgz4ZiILGLwOMtfYlgcXSy1eis8ldE9X90azQ%3D"`):] != `%2BKK4SKNgz4ZiILGLwOMtfYlgcXSy1eis8ldE9X90azQ%3D"` {
		t.Errorf("header = %s", h)
	}
	noVersion, _ := BaseString("POST", "https://123456.restlets.api.netsuite.com/app/site/hosting/restlet.nl?script=6&deploy=1&customParam=someValue&testParam=someOtherValue", restlet[:5])
	if sig := Sign(noVersion, cs, ts); sig != "eVTSEMBhEaDzsC3iai9stzHgbThUjOvcC5nEZWg/ccY=" {
		t.Errorf("signature without version = %s", sig)
	}
	rest, _ := BaseString("GET", "https://123456.suitetalk.api.netsuite.com/services/rest/record/v1/employee/40", restlet[:6])
	if sig := Sign(rest, cs, ts); sig != "B5OIWznZ2YP0OB7VrJrGkYsTh+8H+5T9Hag+o92q0zY=" {
		t.Errorf("REST signature = %s", sig)
	}
	// Flow step one, with role.
	const k1 = "60712990bc09623786e7047c226bcb3f86d49dca0b04efc21001dc76d97a81f5"
	step1, _ := BaseString("POST", "https://1234567.restlets.api.netsuite.com/rest/requesttoken", []Param{
		{"oauth_consumer_key", k1}, {"oauth_nonce", "bUvpxBX93OWo0FLswq5M"}, {"oauth_timestamp", "1575998103"}, {"oauth_signature_method", "HMAC-SHA256"},
		{"oauth_version", "1.0"}, {"oauth_callback", "https://my.example.com/TBA/?callbackRequest"}, {"role", "45678"}, {"realm", "1234567"}})
	if sig := Sign(step1, k1, ""); sig != "7kgwwmiAylqeMdHjCBnIUUW+drDrGCbZGBkuCt39J90=" {
		t.Errorf("step one signature = %s\n%s", sig, step1)
	}
	// Flow step three.
	const rt = "447d0cba5569a2d616e32a537110bc8c10ebcf42cc1fa34d6f76d08531abc179"
	step3, _ := BaseString("POST", "https://1234567.restlets.api.netsuite.com/rest/accesstoken", []Param{
		{"oauth_consumer_key", k1}, {"oauth_token", rt}, {"oauth_nonce", "wjRgXQPWhYtKl0A7bO8Z"}, {"oauth_timestamp", "1576079512"}, {"oauth_signature_method", "HMAC-SHA256"},
		{"oauth_version", "1.0"}, {"oauth_verifier", "3eff1ae4de6f924014b88e489a41e88da8ed1ba8bd5ad7684a71579d7e97f4ee"}})
	if sig := Sign(step3, k1, rt); sig != "BBzawyjesZyFrwBjUAJfBsPDDGUY2FRdp3k4NwGDAO0=" {
		t.Errorf("step three signature = %s", sig)
	}
}

func TestEncodeAndParseHeader(t *testing.T) {
	t.Parallel()
	if got := Encode("a b+c/~é"); got != "a%20b%2Bc%2F~%C3%A9" {
		t.Errorf("Encode = %s", got)
	}
	h := Header("123_SB1", []Param{{"oauth_callback", "https://x/cb?a=1"}}, "ab+/=")
	p, ok := ParseHeader(h)
	if !ok || p["realm"] != "123_SB1" || p["oauth_callback"] != "https://x/cb?a=1" || p["oauth_signature"] != "ab+/=" {
		t.Errorf("ParseHeader(%s) = %v", h, p)
	}
}
