package main

// The stubs tars2go (github.com/TarsCloud/TarsGo/tars/tools/tars2go, gencode/gen_go.go, without
// -without-trace) would generate for
//
//	module Trace
//	{
//	    interface Front { int hello(string name, out string greeting); };
//	    interface Back  { int world(string name, out string answer); };
//	};
//
// written by hand and cut down to the TARS (v1) encoding: both methods have the same shape, so
// one client proxy and one server dispatcher serve both. The trace lines are the generated
// ones: the proxy writes cs before the call (after trace.NewSpan) and cr after a decoded
// answer, the dispatcher sr after decoding the arguments and ss after encoding the answer; each
// line's data is the JSON of the in-parameters (cs, sr) or of "" → return value plus the
// out-parameters (cr, ss) when the trace id's type bits ask for it.

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/TarsCloud/TarsGo/tars"
	"github.com/TarsCloud/TarsGo/tars/model"
	"github.com/TarsCloud/TarsGo/tars/protocol/codec"
	"github.com/TarsCloud/TarsGo/tars/protocol/res/basef"
	"github.com/TarsCloud/TarsGo/tars/protocol/res/requestf"
	"github.com/TarsCloud/TarsGo/tars/util/current"
	"github.com/TarsCloud/TarsGo/tars/util/tools"
	tarstrace "github.com/TarsCloud/TarsGo/tars/util/trace"
)

// method is an IDL method `int <name>(string <in>, out string <out>)`.
type method struct{ name, in, out string }

var (
	hello = method{"hello", "name", "greeting"}
	world = method{"world", "name", "answer"}
)

// traceParam is the generated data of a trace line: the JSON of value, a marker when the
// encoded arguments exceed the trace id's length limit, or "" when its type bit is off.
func traceParam(trace *tarstrace.Trace, es tarstrace.SpanType, size int, value map[string]interface{}) string {
	switch trace.NeedTraceParam(es, uint(size)) {
	case tarstrace.EnpNormal:
		jm, _ := json.Marshal(value)
		return string(jm)
	case tarstrace.EnpOverMaxLen:
		return `{"trace_param_over_max_len":true}`
	}
	return ""
}

// proxy is the client stub (tars2go's <method>WithContext).
type proxy struct{ servant model.Servant }

func (p *proxy) SetServant(s model.Servant) { p.servant = s }

func (p *proxy) invoke(ctx context.Context, m method, in string, out *string) (ret int32, err error) {
	buf := codec.NewBuffer()
	if err = buf.WriteString(in, 1); err != nil {
		return ret, err
	}
	// Generated code writes the out-parameters too.
	if err = buf.WriteString(*out, 2); err != nil {
		return ret, err
	}

	// A trace in the context (opened by the caller, or the request's own in a servant) gets a
	// new span for this call: a root span's parent is itself, a servant's calls are children of
	// the span it was called with.
	trace, ok := current.GetTarsTrace(ctx)
	if ok && trace.Call() {
		trace.NewSpan()
		data := traceParam(trace, tarstrace.EstCS, buf.Len(), map[string]interface{}{m.in: in})
		tars.Trace(trace.GetTraceKey(tarstrace.EstCS), tarstrace.AnnotationCS, tars.GetClientConfig().ModuleName, p.servant.Name(), m.name, 0, data, "")
	}

	// TarsInvoke puts "<trace id>|<span id>" in the request status (STATUS_TRACE_KEY).
	resp := new(requestf.ResponsePacket)
	if err = p.servant.TarsInvoke(ctx, 0, m.name, buf.ToBytes(), nil, nil, resp); err != nil {
		return ret, err
	}
	readBuf := codec.NewReader(tools.Int8ToByte(resp.SBuffer))
	if err = readBuf.ReadInt32(&ret, 0, true); err != nil {
		return ret, err
	}
	if err = readBuf.ReadString(out, 2, true); err != nil {
		return ret, err
	}

	if ok && trace.Call() {
		data := traceParam(trace, tarstrace.EstCR, readBuf.Len(), map[string]interface{}{"": ret, m.out: *out})
		tars.Trace(trace.GetTraceKey(tarstrace.EstCR), tarstrace.AnnotationCR, tars.GetClientConfig().ModuleName, p.servant.Name(), m.name, resp.IRet, data, "")
	}
	return ret, nil
}

// servant is the server stub (tars2go's Dispatch) of an interface with the one method m,
// implemented by imp. Register it with tars.AddServantWithContext: only then does the
// handler get the request's context, and with it the trace its own calls continue.
type servant struct {
	m   method
	imp func(ctx context.Context, in string, out *string) (int32, error)
}

func (s *servant) Dispatch(tarsCtx context.Context, _ interface{}, tarsReq *requestf.RequestPacket, tarsResp *requestf.ResponsePacket, _ bool) error {
	if tarsReq.SFuncName != s.m.name {
		return fmt.Errorf("func mismatch")
	}
	if tarsReq.IVersion != basef.TARSVERSION {
		return fmt.Errorf("decode reqpacket fail, error version: %d", tarsReq.IVersion)
	}
	readBuf := codec.NewReader(tools.Int8ToByte(tarsReq.SBuffer))
	var in, out string
	if err := readBuf.ReadString(&in, 1, true); err != nil {
		return err
	}

	// TarsGo's Protocol.Invoke made the trace from the request's STATUS_TRACE_KEY: the
	// caller's span is this call's span, the server lines' key "<trace>|<span>|*".
	trace, ok := current.GetTarsTrace(tarsCtx)
	if ok && trace.Call() {
		data := traceParam(trace, tarstrace.EstSR, readBuf.Len(), map[string]interface{}{s.m.in: in})
		tars.Trace(trace.GetTraceKey(tarstrace.EstSR), tarstrace.AnnotationSR, tars.GetClientConfig().ModuleName, tarsReq.SServantName, s.m.name, 0, data, "")
	}

	ret, err := s.imp(tarsCtx, in, &out)
	if err != nil {
		return err
	}
	buf := codec.NewBuffer()
	if err = buf.WriteInt32(ret, 0); err != nil {
		return err
	}
	if err = buf.WriteString(out, 2); err != nil {
		return err
	}

	if ok && trace.Call() {
		data := traceParam(trace, tarstrace.EstSS, buf.Len(), map[string]interface{}{"": ret, s.m.out: out})
		tars.Trace(trace.GetTraceKey(tarstrace.EstSS), tarstrace.AnnotationSS, tars.GetClientConfig().ModuleName, tarsReq.SServantName, s.m.name, 0, data, "")
	}

	statusMap, _ := current.GetResponseStatus(tarsCtx)
	contextMap, _ := current.GetResponseContext(tarsCtx)
	*tarsResp = requestf.ResponsePacket{
		IVersion:   tarsReq.IVersion,
		IRequestId: tarsReq.IRequestId,
		SBuffer:    tools.ByteToInt8(buf.ToBytes()),
		Status:     statusMap,
		Context:    contextMap,
	}
	return nil
}
