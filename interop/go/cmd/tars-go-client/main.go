// Command tars-go-client drives tarsplane with the real TarsGo client runtime
// (github.com/TarsCloud/TarsGo, pinned in ../../go.mod). interop/tests/go_clients.rs runs it.
//
//	tars-go-client <command> <config file> [args...]
//
// The config file is the TARS server configuration tarsnode would write (<tars><application>
// with <client> and <server>); TarsGo reads it itself through tars.ServerConfigPath. Commands:
//
//	registry <lookup id> <echo id>  the six QueryF lookups of <lookup id> through a QueryF proxy
//	                                on the locator, then echo("via locator") on <echo id>, a
//	                                proxy without endpoints that TarsGo resolves by itself
//	ping <object>...                tars_ping (an answered call) on each object, resolved by name
//	monitor <echo id>               echo three times and call "nope" once (stat reports are
//	                                automatic), then property "queue" with every policy: 4, 8, 12
//	log <marker>                    remote log lines through tars.GetRemoteLogger: file "app"
//	                                with TarsGo's default line layout, file "raw" without it
//	notify <marker>                 tars.ReportNotifyInfo at each level
//	config <server file> <json file> <app file> <missing file>
//	                                remote configuration as a TarsGo server loads it:
//	                                tars.AddConfig(<server file>), tars.AddConfig(<json file>),
//	                                tars.AddAppConfig(<app file>), tars.AddConfig(<missing file>)
//	                                (expected to fail), tars.GetConfigList(); prints what each
//	                                returned and what AddConfig wrote to <basepath>/<file>
//
// Each command prints ONE JSON line (always with an "errors" array) and then waits for stdin
// to close before exiting 0: TarsGo sends stat, property and remote log data from background
// goroutines on its own timers, and the test closes stdin once it has seen that data arrive.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/TarsCloud/TarsGo/tars"
	"github.com/TarsCloud/TarsGo/tars/model"
	"github.com/TarsCloud/TarsGo/tars/protocol/codec"
	"github.com/TarsCloud/TarsGo/tars/protocol/res/endpointf"
	"github.com/TarsCloud/TarsGo/tars/protocol/res/queryf"
	"github.com/TarsCloud/TarsGo/tars/protocol/res/requestf"
	"github.com/TarsCloud/TarsGo/tars/util/tools"
)

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: tars-go-client <registry|ping|monitor|log|notify|config> <config file> [args...]")
		os.Exit(2)
	}
	command, args := os.Args[1], os.Args[3:]
	if need := map[string]int{"registry": 2, "monitor": 1, "log": 1, "notify": 1, "config": 4}[command]; len(args) < need {
		fmt.Fprintf(os.Stderr, "%s needs %d arguments after the config file\n", command, need)
		os.Exit(2)
	}
	tars.ServerConfigPath = os.Args[2]
	comm := tars.NewCommunicator()

	out := map[string]interface{}{}
	var errs []string
	fail := func(step string, err error) { errs = append(errs, step+": "+err.Error()) }
	if err := waitForStatReporter(); err != nil {
		fail("start-up", err)
	} else {
		switch command {
		case "registry":
			registry(comm, args, out, fail)
		case "ping":
			ping(comm, args, out, fail)
		case "monitor":
			monitor(comm, args, out, fail)
		case "log":
			remoteLog(args, out)
		case "notify":
			notify(args, out)
		case "config":
			remoteConfig(args, out, fail)
		default:
			fmt.Fprintln(os.Stderr, "unknown command", command)
			os.Exit(2)
		}
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
}

// waitForStatReporter waits until the stat reporter TarsGo starts in a goroutine of its own
// (tars.initReport) has resolved StatObj through the locator. TarsGo's generated stubs replace
// the shared client context (tars.GetClientConfig().Context(), {"node_name": ...} at start)
// with each answer's context; an answer that arrived while this program wrote its own first
// request would be two goroutines writing one map. Once the map is empty, every later answer
// (tarsplane's contexts are empty, as TarsCpp's) leaves it as it is.
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

// rawProxy is a hand-written stub for servants without an IDL here: the Rust Echo servant's
// `string echo(string s)` (s at tag 1, the result at tag 0) and `tars_ping`.
type rawProxy struct{ servant model.Servant }

func (p *rawProxy) SetServant(s model.Servant) { p.servant = s }

func (p *rawProxy) echo(function, s string) (string, error) {
	buf := codec.NewBuffer()
	if err := buf.WriteString(s, 1); err != nil {
		return "", err
	}
	var resp requestf.ResponsePacket
	if err := p.servant.TarsInvoke(context.Background(), 0, function, buf.ToBytes(), nil, nil, &resp); err != nil {
		return "", err
	}
	var ret string
	err := codec.NewReader(tools.Int8ToByte(resp.SBuffer)).ReadString(&ret, 0, true)
	return ret, err
}

func (p *rawProxy) ping() error {
	var resp requestf.ResponsePacket
	return p.servant.TarsInvoke(context.Background(), 0, "tars_ping", nil, nil, nil, &resp)
}

type endpoint struct {
	Host    string `json:"host"`
	Port    int32  `json:"port"`
	Timeout int32  `json:"timeout"`
	Istcp   int32  `json:"istcp"`
}

func endpoints(list []endpointf.EndpointF) []endpoint {
	out := make([]endpoint, 0, len(list))
	for _, e := range list {
		out = append(out, endpoint{e.Host, e.Port, e.Timeout, e.Istcp})
	}
	return out
}

func registry(comm *tars.Communicator, args []string, out map[string]interface{}, fail func(string, error)) {
	id, echoID := args[0], args[1]
	query := new(queryf.QueryF)
	comm.StringToProxy(comm.GetLocator(), query)
	lookups := map[string]interface{}{}
	if list, err := query.FindObjectById(id); err != nil {
		fail("findObjectById", err)
	} else {
		lookups["findObjectById"] = map[string]interface{}{"active": endpoints(list), "inactive": []endpoint{}}
	}
	withLists := []struct {
		name string
		call func(active, inactive *[]endpointf.EndpointF) (int32, error)
	}{
		{"findObjectById4Any", func(a, i *[]endpointf.EndpointF) (int32, error) { return query.FindObjectById4Any(id, a, i) }},
		{"findObjectById4All", func(a, i *[]endpointf.EndpointF) (int32, error) { return query.FindObjectById4All(id, a, i) }},
		{"findObjectByIdInSameGroup", func(a, i *[]endpointf.EndpointF) (int32, error) { return query.FindObjectByIdInSameGroup(id, a, i) }},
		{"findObjectByIdInSameStation", func(a, i *[]endpointf.EndpointF) (int32, error) {
			return query.FindObjectByIdInSameStation(id, "sz", a, i)
		}},
		{"findObjectByIdInSameSet", func(a, i *[]endpointf.EndpointF) (int32, error) {
			return query.FindObjectByIdInSameSet(id, "app.sz.1", a, i)
		}},
	}
	for _, l := range withLists {
		var active, inactive []endpointf.EndpointF
		ret, err := l.call(&active, &inactive)
		if err != nil {
			fail(l.name, err)
			continue
		}
		lookups[l.name] = map[string]interface{}{"ret": ret, "active": endpoints(active), "inactive": endpoints(inactive)}
	}
	out["lookups"] = lookups

	// A proxy by bare name: TarsGo asks the locator (findObjectByIdInSameGroup) when the proxy
	// is made and keeps the answer's endpoints.
	echo := new(rawProxy)
	comm.StringToProxy(echoID, echo)
	resolved := []string{}
	for _, e := range echo.servant.Endpoints() {
		resolved = append(resolved, e.String())
	}
	out["resolved"] = resolved
	if s, err := echo.echo("echo", "via locator"); err != nil {
		fail("echo", err)
	} else {
		out["echo"] = s
	}
}

func ping(comm *tars.Communicator, objects []string, out map[string]interface{}, fail func(string, error)) {
	pinged := []string{}
	for _, object := range objects {
		p := new(rawProxy)
		comm.StringToProxy(object, p)
		if err := p.ping(); err != nil {
			fail(object, err)
			continue
		}
		pinged = append(pinged, object)
	}
	out["pinged"] = pinged
}

func monitor(comm *tars.Communicator, args []string, out map[string]interface{}, fail func(string, error)) {
	echo := new(rawProxy)
	comm.StringToProxy(args[0], echo)
	calls := 0
	for i := 0; i < 3; i++ {
		if _, err := echo.echo("echo", fmt.Sprint("call ", i)); err != nil {
			fail("echo", err)
		} else {
			calls++
		}
	}
	// No such function: the servant answers -3, TarsGo counts an exception.
	if _, err := echo.echo("nope", "x"); err == nil {
		fail("nope", fmt.Errorf("answered without an error"))
	}
	out["calls"] = calls

	queue := tars.CreatePropertyReport("queue",
		tars.NewSum(), tars.NewAvg(), tars.NewMax(), tars.NewMin(), tars.NewCount(),
		tars.NewDistr([]int{0, 10, 100}))
	for _, v := range []int{4, 8, 12} {
		queue.Report(v)
	}
	out["reported"] = 3
}

func remoteLog(args []string, out map[string]interface{}) {
	marker := args[0]
	// TarsGo's default remote logger: daily file "app", lines
	// "<time>|<file>:<function>:<line>|<LEVEL>|<message>\n".
	app := tars.GetRemoteLogger("app")
	app.Info(marker + " one")
	app.Info(marker + " two")
	app.Warn(marker + " 中文")
	// Without the prefix TarsGo sends the message as it is (no newline added), here with the
	// roll type set (LogInfo.sLogType "day").
	raw := tars.GetRemoteLogger("raw")
	if w, ok := raw.Writer().(*tars.RemoteTimeWriter); ok {
		w.SetPrefix(false)
		w.SetLogType("day")
	}
	raw.Info(marker + " raw\n")
	out["lines"] = 4
}

func notify(args []string, out map[string]interface{}) {
	marker := args[0]
	tars.ReportNotifyInfo(tars.NotifyNormal, marker+" normal")
	tars.ReportNotifyInfo(tars.NotifyWarn, marker+" warn")
	tars.ReportNotifyInfo(tars.NotifyError, marker+" error")
	out["sent"] = 3
}

// remoteConfig loads configuration files as a TarsGo server does in its main function.
// AddConfig and AddAppConfig call loadConfigByInfo (the RConf's ConfigObj proxy is made, and
// resolved through the locator, on first use) and write the content to <basepath>/<file>;
// GetConfigList calls ListAllConfigByInfo.
func remoteConfig(args []string, out map[string]interface{}, fail func(string, error)) {
	serverFile, jsonFile, appFile, missingFile := args[0], args[1], args[2], args[3]
	base := tars.GetServerConfig().BasePath
	loaded := map[string]string{}
	written := map[string]interface{}{}
	load := func(file string, add func(string) (string, error)) {
		content, err := add(file)
		if err != nil {
			fail(file, err)
			return
		}
		loaded[file] = content
		if data, err := os.ReadFile(filepath.Join(base, file)); err != nil {
			fail("read "+file, err)
		} else {
			written[file] = string(data)
		}
	}
	load(serverFile, tars.AddConfig)
	load(jsonFile, tars.AddConfig)
	load(appFile, tars.AddAppConfig)
	out["loaded"] = loaded
	out["written"] = written

	// No server-level content: the service answers a non-zero ret, which AddConfig returns as
	// an error without writing the file.
	if content, err := tars.AddConfig(missingFile); err == nil {
		fail(missingFile, fmt.Errorf("loaded without an error: %q", content))
	} else {
		out["missing_error"] = err.Error()
	}
	_, err := os.Stat(filepath.Join(base, missingFile))
	out["missing_written"] = err == nil

	if list, err := tars.GetConfigList(); err != nil {
		fail("GetConfigList", err)
	} else {
		if list == nil {
			list = []string{}
		}
		out["list"] = list
	}
}
