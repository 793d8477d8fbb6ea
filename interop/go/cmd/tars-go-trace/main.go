// Command tars-go-trace makes TarsGo (github.com/TarsCloud/TarsGo, pinned in ../../go.mod) write
// call-chain trace lines: the remote log file "_t_trace_" that tars.Trace sends to
// tars.tarslog.LogObj, for the end-to-end tests of tarsplane's trace pipeline.
//
//	tars-go-trace serve <config file>
//	tars-go-trace call <config file> <front object> <n> [<trace type>[.<max KB>]]
//
// The config file is the TARS server configuration tarsnode would write (as for
// tars-go-client); TarsGo reads it itself through tars.ServerConfigPath, and every object,
// the framework's and these, is resolved by name through its locator (the registry must list
// <app>.<server>.FrontObj and BackObj at the serve config's adapter endpoints).
//
//	serve  a TarsGo server (app and server from <server>) hosting <app>.<server>.FrontObj and
//	       <app>.<server>.BackObj, each from an adapter of <server> (`<...Adapter> endpoint =
//	       tcp -h H -p P`, `servant = <object>`). FrontObj's `int hello(string name, out string
//	       greeting)` calls BackObj's `int world(string name, out string answer)` twice with the
//	       request's context: two child spans. Prints {"serving": [objects]} once both listen.
//	call   calls hello n times, each with a trace of its own, opened as a TarsGo program does
//	       (current.OpenTarsTrace(ctx, true): trace type f, every line carries its data; with
//	       a type, e.g. 0, 5 or f.2, trace.OpenTrace(type, max KB) instead: bits 1/2/4/8 put
//	       the data in cs/cr/sr/ss lines). Prints {"traces": [trace ids], "spans": [root span
//	       ids], "greetings": [...]}; use a module name other than the server's.
//
// Both print ONE JSON line (always with an "errors" array) and then wait for stdin to close
// before exiting 0: TarsGo sends the trace lines from a goroutine about once a second.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/TarsCloud/TarsGo/tars"
	"github.com/TarsCloud/TarsGo/tars/util/current"
	tarstrace "github.com/TarsCloud/TarsGo/tars/util/trace"
)

func main() {
	if len(os.Args) < 3 || (os.Args[1] == "call" && len(os.Args) < 5) {
		fmt.Fprintln(os.Stderr, "usage: tars-go-trace serve <config file> | call <config file> <front object> <n> [<trace type>[.<max KB>]]")
		os.Exit(2)
	}
	command, args := os.Args[1], os.Args[3:]
	tars.ServerConfigPath = os.Args[2]

	out := map[string]interface{}{}
	var errs []string
	fail := func(step string, err error) { errs = append(errs, step+": "+err.Error()) }
	switch command {
	case "serve":
		serve(out, fail)
	case "call":
		call(args, out, fail)
	default:
		fmt.Fprintln(os.Stderr, "unknown command", command)
		os.Exit(2)
	}
	if errs == nil {
		errs = []string{}
	}
	out["errors"] = errs
	line, err := json.Marshal(out)
	if err != nil {
		panic(err)
	}
	fmt.Println(string(line))
	_, _ = io.Copy(io.Discard, bufio.NewReader(os.Stdin))
	os.Exit(0)
}

func serve(out map[string]interface{}, fail func(string, error)) {
	cfg := tars.GetServerConfig()
	front := cfg.App + "." + cfg.Server + ".FrontObj"
	back := cfg.App + "." + cfg.Server + ".BackObj"

	// BackObj by name: TarsGo asks the locator when the proxy is made.
	backPrx := new(proxy)
	tars.GetCommunicator().StringToProxy(back, backPrx)
	tars.AddServantWithContext(&servant{world, func(_ context.Context, name string, answer *string) (int32, error) {
		*answer = "world " + name
		return int32(len(name)), nil
	}}, nil, back)
	tars.AddServantWithContext(&servant{hello, func(ctx context.Context, name string, greeting *string) (int32, error) {
		var first, second string
		r1, err := backPrx.invoke(ctx, world, name, &first)
		if err != nil {
			return 0, err
		}
		r2, err := backPrx.invoke(ctx, world, name+" again", &second)
		if err != nil {
			return 0, err
		}
		*greeting = "hello: " + first + ", " + second
		return r1 + r2, nil
	}}, nil, front)

	stopped := make(chan struct{})
	go func() {
		tars.Run()
		close(stopped)
	}()
	if err := waitForStatReporter(); err != nil {
		fail("start-up", err)
		return
	}
	// tars.Run has no "listening" hook: dial each adapter until it answers.
	deadline := time.Now().Add(10 * time.Second)
	for _, adapter := range cfg.Adapters {
		if adapter.Obj != front && adapter.Obj != back {
			continue
		}
		addr := net.JoinHostPort(adapter.Endpoint.Host, strconv.Itoa(int(adapter.Endpoint.Port)))
		for {
			conn, err := net.DialTimeout("tcp", addr, time.Second)
			if err == nil {
				conn.Close()
				break
			}
			select {
			case <-stopped:
				fail("serve", fmt.Errorf("tars.Run returned (see the TarsGo log under logpath)"))
				return
			default:
			}
			if time.Now().After(deadline) {
				fail(adapter.Obj, err)
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	out["serving"] = []string{front, back}
}

func call(args []string, out map[string]interface{}, fail func(string, error)) {
	object := args[0]
	n, err := strconv.Atoi(args[1])
	if err != nil {
		fail("n", err)
		return
	}
	var traceType, maxKB uint64 = 0xf, 0
	if len(args) > 2 {
		typ, kb, _ := strings.Cut(args[2], ".")
		if traceType, err = strconv.ParseUint(typ, 16, 4); err == nil && kb != "" {
			maxKB, err = strconv.ParseUint(kb, 10, 16)
		}
		if err != nil {
			fail("trace type", err)
			return
		}
	}
	comm := tars.GetCommunicator() // reads the config, starts the stat reporter
	if err := waitForStatReporter(); err != nil {
		fail("start-up", err)
		return
	}
	frontPrx := new(proxy)
	comm.StringToProxy(object, frontPrx)
	traces, spans, greetings := []string{}, []string{}, []string{}
	for i := 0; i < n; i++ {
		// One context, one trace: a second call in it would be a child of the first (NewSpan
		// keeps a parent once set).
		ctx := current.ContextWithTarsCurrent(context.Background())
		if len(args) > 2 {
			trace := tarstrace.New()
			trace.OpenTrace(int(traceType), uint(maxKB))
			current.SetTarsTrace(ctx, trace)
		} else {
			current.OpenTarsTrace(ctx, true)
		}
		var greeting string
		if _, err := frontPrx.invoke(ctx, hello, fmt.Sprint("caller ", i), &greeting); err != nil {
			fail(fmt.Sprint("hello ", i), err)
			continue
		}
		trace, _ := current.GetTarsTrace(ctx)
		traces = append(traces, trace.SpanContext().TraceID())
		spans = append(spans, trace.SpanContext().SpanID())
		greetings = append(greetings, greeting)
	}
	out["traces"] = traces
	out["spans"] = spans
	out["greetings"] = greetings
}

// waitForStatReporter waits until TarsGo's stat reporter has resolved StatObj and the shared
// client context is empty (see tars-go-client's function of the same name: TarsGo's own stubs
// replace that map with each answer's context).
func waitForStatReporter() error {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if tars.StatReport != nil && len(tars.GetClientConfig().Context()) == 0 {
			return nil
		}
		time.Sleep(5 * time.Millisecond)
	}
	return fmt.Errorf("the stat reporter did not resolve its StatObj within 10 s")
}
