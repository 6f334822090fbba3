// Package approval predicts, and then explains, an integration record's
// State in a target account. It is pure Go with no I/O.
//
// [Evaluate] takes the channel (auto-install by user credentials, by TBA
// token issue, by OAuth 2.0; a SuiteBundler bundle; an SDF SuiteApp), the
// record's settings, the target and the endpoint version, and returns a
// [Decision]: whether the channel can work (with every blocking reason at
// once), the predicted initial State, whether requests are accepted right
// after the install, the administrator's steps with NetSuite menu paths,
// what the target may edit, sandbox notes and dated warnings. Every rule
// names the Oracle help page it rests on by its page id (e.g.
// section_4429293934); where the documentation is silent, the decision
// says "not documented".
//
// [Explain] turns what a request saw into an [Explanation]. Oracle documents
// that a record Waiting for Approval or Blocked refuses requests
// (section_4429293934) but not the fault it answers with; public client
// code shows the same "Invalid login attempt." as for a wrong password,
// and nsdist reads the answer that way (its reading, not Oracle's). The
// decision's prediction and the token's age are what tell the causes
// apart. Each channel turns its own answer into an [Observed]
// (distribution/tba's Observe for SOAP, distribution/oauth2's for REST);
// this package imports no wire types:
//
//	d := approval.Evaluate(approval.Input{Channel: approval.ChannelTBA, Record: rec,
//		Target: approval.TargetAccount{Account: "123456", RequireApproval: approval.PreferenceRequired}})
//	out := approval.Explain(d, approval.Observation{Observed: tba.Observe(err)})
//	fmt.Println(out) // awaiting_approval: installed, waiting for approval: an administrator of 123456 must ...
package approval
