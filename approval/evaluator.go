package approval

import (
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Evaluator is [Evaluate] with a memory, for a rollout that asks the same
// question of thousands of targets: a decision depends on the target
// account only through whether it is a sandbox and whether it is the
// record's owner or the source, and on the date only through its UTC day.
// Inputs that differ in nothing else share one evaluation; each decision
// returned carries the caller's own Input and its own copies of the
// slices, so that a caller may change it freely. The zero Evaluator is
// ready; it is safe for concurrent use. It keeps one decision per kind of
// input it has seen (a rollout sees a handful; past 4,096 it starts over).
type Evaluator struct {
	m sync.Map // evalKey → Decision: read by every worker, written once per kind
	n atomic.Int64
}

// evalKey is an Input with what Evaluate does not read of it taken out.
type evalKey struct {
	in      Input
	sandbox bool
}

// maxMemo bounds an Evaluator's memory: past it, the memory starts over.
const maxMemo = 4096

// Evaluate returns Evaluate(in).
func (e *Evaluator) Evaluate(in Input) Decision {
	in = withDefaults(in)
	if in.Target.Account != "" && (sameAccount(in.Target.Account, in.Record.Owner) || sameAccount(in.Target.Account, in.Source)) {
		return Evaluate(in) // the decision names the account: not shared
	}
	k := evalKey{in: in, sandbox: canonical(in.Target.Account).IsSandbox()}
	if k.in.Target.Account != "" {
		k.in.Target.Account = "x" // any account that is neither owner nor source
	}
	y, m, d := in.Date.UTC().Date()
	k.in.Date = time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	v, ok := e.m.Load(k)
	dec, _ := v.(Decision)
	if !ok {
		dec = Evaluate(in)
		if e.n.Add(1) > maxMemo { // start over: a few hundred kinds are expected
			e.m.Clear()
			e.n.Store(1)
		}
		e.m.Store(k, dec)
	}
	dec = dec.own()
	dec.Input = in
	return dec
}

// own returns d with slices of its own, which share nothing with d's.
func (d Decision) own() Decision {
	d.Blocking, d.Warnings, d.AdminSteps = slices.Clone(d.Blocking), slices.Clone(d.Warnings), slices.Clone(d.AdminSteps)
	d.EditableInTarget, d.SandboxNotes = slices.Clone(d.EditableInTarget), slices.Clone(d.SandboxNotes)
	d.PossibleStates = slices.Clone(d.PossibleStates)
	return d
}
