package soap_test

// Benchmarks of the wire layer against a baseline that does the same work
// with encoding/xml structs, in the same run:
//
//	go test ./soap -run '^$' -bench . -benchmem

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/xml"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nsdist/nsdist/soap"
)

func BenchmarkBuildTBAGetServerTime(b *testing.B) {
	r := &soap.Request{Operation: soap.OpGetServerTime, Version: soap.V2025_2, Auth: tbaAuth("123456_SB1")}
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		nonce, err := soap.RandomNonce()
		if err != nil {
			b.Fatal(err)
		}
		if _, err := r.Encode(nonce, now); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeServerTime(b *testing.B) {
	data := readFixture(b, "getServerTime.xml")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := soap.DecodeResponse(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeFault(b *testing.B) {
	data := readFixture(b, "fault-invalid-credentials.xml")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := soap.DecodeResponse(data); err == nil {
			b.Fatal("want a fault")
		}
	}
}

// Baseline: the same work with encoding/xml structs.

type baseEnvelope struct {
	XMLName xml.Name   `xml:"soapenv:Envelope"`
	SoapNS  string     `xml:"xmlns:soapenv,attr"`
	MsgNS   string     `xml:"xmlns:msg,attr"`
	CoreNS  string     `xml:"xmlns:core,attr"`
	Header  baseHeader `xml:"soapenv:Header"`
	Body    baseBody   `xml:"soapenv:Body"`
}

type baseHeader struct {
	Passport basePassport `xml:"msg:tokenPassport"`
}

type basePassport struct {
	Account     string `xml:"core:account"`
	ConsumerKey string `xml:"core:consumerKey"`
	Token       string `xml:"core:token"`
	Nonce       string `xml:"core:nonce"`
	Timestamp   int64  `xml:"core:timestamp"`
	Signature   struct {
		Algorithm string `xml:"algorithm,attr"`
		Value     string `xml:",chardata"`
	} `xml:"core:signature"`
}

type baseBody struct {
	GetServerTime struct{} `xml:"msg:getServerTime"`
}

func BenchmarkBaselineBuildTBAGetServerTime(b *testing.B) {
	a := tbaAuth("123456_SB1")
	v := soap.V2025_2
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		nonce, err := soap.RandomNonce()
		if err != nil {
			b.Fatal(err)
		}
		ts := now.Unix()
		mac := hmac.New(sha256.New, []byte(a.ConsumerSecret+"&"+a.TokenSecret))
		mac.Write([]byte(string(a.Account) + "&" + a.ConsumerKey + "&" + a.TokenID + "&" + nonce + "&" + strconv.FormatInt(ts, 10)))
		env := baseEnvelope{SoapNS: soap.NSSOAP11, MsgNS: v.MessagesNS(), CoreNS: v.CoreNS()}
		p := &env.Header.Passport
		p.Account, p.ConsumerKey, p.Token, p.Nonce, p.Timestamp = string(a.Account), a.ConsumerKey, a.TokenID, nonce, ts
		p.Signature.Algorithm, p.Signature.Value = "HMAC-SHA256", base64.StdEncoding.EncodeToString(mac.Sum(nil))
		out, err := xml.Marshal(env)
		if err != nil {
			b.Fatal(err)
		}
		_ = append([]byte(xml.Header), out...)
	}
}

type baseResponse struct {
	Header struct {
		NSID string `xml:"documentInfo>nsId"`
	} `xml:"Header"`
	Body struct {
		GetServerTime *struct {
			Result struct {
				Status struct {
					IsSuccess bool `xml:"isSuccess,attr"`
				} `xml:"status"`
				ServerTime time.Time `xml:"serverTime"`
			} `xml:"getServerTimeResult"`
		} `xml:"getServerTimeResponse"`
		Fault *struct {
			Code   string `xml:"faultcode"`
			String string `xml:"faultstring"`
			Detail struct {
				Inner []struct {
					XMLName xml.Name
					Code    string `xml:"code"`
					Message string `xml:"message"`
				} `xml:",any"`
			} `xml:"detail"`
		} `xml:"Fault"`
	} `xml:"Body"`
}

func BenchmarkBaselineDecodeServerTime(b *testing.B) {
	data := readFixture(b, "getServerTime.xml")
	b.ReportAllocs()
	for b.Loop() {
		var r baseResponse
		if err := xml.Unmarshal(data, &r); err != nil || r.Body.GetServerTime == nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBaselineDecodeFault(b *testing.B) {
	data := readFixture(b, "fault-invalid-credentials.xml")
	b.ReportAllocs()
	for b.Loop() {
		var r baseResponse
		if err := xml.Unmarshal(data, &r); err != nil || r.Body.Fault == nil {
			b.Fatal(err)
		}
	}
}

// manyBindings is the shape of the namespace blowup: a root with n
// xmlns:aN bindings, then about 9 MiB of empty Header siblings, each of
// which the decoder resolves against the bindings in scope.
func manyBindings(n int) []byte {
	var b strings.Builder
	b.WriteString(`<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"`)
	for i := range n {
		b.WriteString(` xmlns:a` + strconv.Itoa(i) + `="x"`)
	}
	b.WriteString(`>`)
	sib := `<soapenv:H/>`
	b.WriteString(strings.Repeat(sib, (9<<20)/len(sib)))
	b.WriteString(`<soapenv:Body><getServerTimeResponse/></soapenv:Body></soapenv:Envelope>`)
	return []byte(b.String())
}

// BenchmarkDecodeManyBindings: N=0 is the cost of the 9 MiB of siblings
// alone; N=63 the most the root may declare besides soapenv, so the worst
// case the decoder walks to the end; N=10000, refused at the root since
// the bindings are bounded, took 10.9 s per op before.
func BenchmarkDecodeManyBindings(b *testing.B) {
	for _, n := range []int{0, 63, 10_000} {
		data := manyBindings(n)
		b.Run("N="+strconv.Itoa(n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, _ = soap.DecodeResponse(data)
			}
		})
	}
}
