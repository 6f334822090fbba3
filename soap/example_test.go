package soap_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/jarcoal/httpmock"

	"github.com/nsdist/nsdist"
	"github.com/nsdist/nsdist/soap"
)

func ExampleClient_Do() {
	// An in-memory transport stands in for NetSuite.
	mt := httpmock.NewMockTransport()
	mt.RegisterResponder(http.MethodPost, "https://123456-sb1.suitetalk.api.netsuite.com/services/NetSuitePort_2025_2",
		httpmock.NewStringResponder(500, `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><soapenv:Fault>
<faultcode>soapenv:Server.userException</faultcode><faultstring>Invalid login attempt.</faultstring><detail>
<platformFaults:invalidCredentialsFault xmlns:platformFaults="urn:faults_2025_2.platform.webservices.netsuite.com">
<platformFaults:code>USER_ERROR</platformFaults:code><platformFaults:message>Invalid login attempt.</platformFaults:message>
</platformFaults:invalidCredentialsFault></detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>`))

	c, err := soap.NewClient("123456-sb1", soap.WithTransport(mt), soap.WithAuth(&soap.TokenAuth{
		Account: "123456_SB1", ConsumerKey: "ck", ConsumerSecret: "cs", TokenID: "tok", TokenSecret: "ts",
	}))
	if err != nil {
		fmt.Println(err)
		return
	}
	_, err = c.Do(context.Background(), soap.OpGetServerTime)
	var f *soap.Fault
	if errors.As(err, &f) {
		fmt.Println("kind:", f.Kind, "code:", f.NSCode, "http:", f.HTTPStatus)
	}
	fmt.Println("auth rejected:", errors.Is(err, soap.ErrAuthRejected), "retryable:", nsdist.Retryable(err))
	fmt.Println("attempts:", mt.GetTotalCallCount())
	// Output:
	// kind: invalidCredentialsFault code: USER_ERROR http: 500
	// auth rejected: true retryable: false
	// attempts: 1
}

func ExampleRequest_Encode() {
	r := &soap.Request{Operation: soap.OpGetDataCenterUrls, Version: soap.V2025_2, Account: "123456_SB1"}
	b, err := r.Encode("", fixedTime)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(string(b))
	// Output:
	// <?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:msg="urn:messages_2025_2.platform.webservices.netsuite.com" xmlns:core="urn:core_2025_2.platform.webservices.netsuite.com"><soapenv:Body><msg:getDataCenterUrls><msg:account>123456_SB1</msg:account></msg:getDataCenterUrls></soapenv:Body></soapenv:Envelope>
}
