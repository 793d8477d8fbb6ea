// Command queryf-server is a plain TarsGo server (github.com/TarsCloud/TarsGo, pinned in
// ../../go.mod) serving tars.tarsregistry.QueryObj with TarsGo's generated QueryF dispatcher, so
// scripts/bench-peers can load the TarsGo server runtime the way users run it.
//
//	queryf-server --addr 127.0.0.1:PORT
//
// findObjectById("Test.HelloServer.HelloObj") answers three EndpointF
// (test-helloserver-{0,1,2}.test-helloserver, port 10000, timeout 3000, istcp 1); the other
// QueryF methods answer the same three as active endpoints with an empty inactive list and
// return 0; any other id gets empty lists. tars_ping is answered by TarsGo itself.
//
// TarsGo reads its server configuration from a file only, so one is written to a temporary
// directory (removed at exit), which also receives TarsGo's log files. The configuration has no
// locator, node, notify, stat or property servant and no admin port, so TarsGo starts no
// reporting (its stat reporter needs a stat object resolvable without a locator). Everything
// else keeps TarsGo's server defaults (no worker pool: a goroutine per request, TCP_NODELAY
// off, ...), except logLevel=INFO (without one TarsGo logs at DEBUG; nothing in its request
// path logs at either level) and gracedowntimeout=1000 ms (default 60 s), so that SIGTERM or
// SIGINT, which TarsGo handles itself with its graceful shutdown, ends the process in about a
// second even while clients keep connections open.
//
// Once TarsGo accepts connections it prints one line on stdout:
//
//	listening 127.0.0.1:PORT pid N
package main

import (
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/TarsCloud/TarsGo/tars"
	"github.com/TarsCloud/TarsGo/tars/protocol/res/endpointf"
	"github.com/TarsCloud/TarsGo/tars/protocol/res/queryf"
)

const (
	servant  = "tars.tarsregistry.QueryObj"
	knownID  = "Test.HelloServer.HelloObj"
	graceMs  = 1000
	template = `<tars>
  <application>
    <server>
      app=tars
      server=tarsregistry
      logpath=%[1]s
      datapath=%[1]s
      logLevel=INFO
      gracedowntimeout=%[2]d
      <tars.tarsregistry.QueryObjAdapter>
        endpoint=tcp -h %[3]s -p %[4]s -t 60000
        protocol=tars
        servant=%[5]s
      </tars.tarsregistry.QueryObjAdapter>
    </server>
    <client>
    </client>
  </application>
</tars>
`
)

// helloEndpoints is the fixed answer for knownID; TarsGo's Dispatch only reads it.
var helloEndpoints = []endpointf.EndpointF{
	{Host: "test-helloserver-0.test-helloserver", Port: 10000, Timeout: 3000, Istcp: 1},
	{Host: "test-helloserver-1.test-helloserver", Port: 10000, Timeout: 3000, Istcp: 1},
	{Host: "test-helloserver-2.test-helloserver", Port: 10000, Timeout: 3000, Istcp: 1},
}

// registry implements queryf.QueryFServant.
type registry struct{}

func lookup(id string) []endpointf.EndpointF {
	if id == knownID {
		return helloEndpoints
	}
	return []endpointf.EndpointF{}
}

func (registry) FindObjectById(id string) ([]endpointf.EndpointF, error) { return lookup(id), nil }

func (registry) answer(id string, active, inactive *[]endpointf.EndpointF) (int32, error) {
	*active, *inactive = lookup(id), []endpointf.EndpointF{}
	return 0, nil
}

func (r registry) FindObjectById4Any(id string, a, i *[]endpointf.EndpointF) (int32, error) {
	return r.answer(id, a, i)
}

func (r registry) FindObjectById4All(id string, a, i *[]endpointf.EndpointF) (int32, error) {
	return r.answer(id, a, i)
}

func (r registry) FindObjectByIdInSameGroup(id string, a, i *[]endpointf.EndpointF) (int32, error) {
	return r.answer(id, a, i)
}

func (r registry) FindObjectByIdInSameStation(id, _ string, a, i *[]endpointf.EndpointF) (int32, error) {
	return r.answer(id, a, i)
}

func (r registry) FindObjectByIdInSameSet(id, _ string, a, i *[]endpointf.EndpointF) (int32, error) {
	return r.answer(id, a, i)
}

var _ queryf.QueryFServant = registry{}

func main() {
	addr := flag.String("addr", "", "HOST:PORT to listen on, e.g. 127.0.0.1:18000 (required)")
	flag.Parse()
	fail := func(format string, args ...interface{}) {
		fmt.Fprintf(os.Stderr, "queryf-server: "+format+"\n", args...)
		os.Exit(1)
	}
	host, port, err := net.SplitHostPort(*addr)
	if n, perr := strconv.Atoi(port); err != nil || perr != nil || n <= 0 || n > 65535 || host == "" || flag.NArg() != 0 {
		fail("usage: queryf-server --addr HOST:PORT (a fixed port, not 0)")
	}
	// TarsGo reports a failed listen only on stdout, after start-up; check the port first so a
	// port in use fails here and the readiness probe below cannot reach another process.
	if ln, err := net.Listen("tcp", *addr); err != nil {
		fail("cannot listen on %s: %v", *addr, err)
	} else {
		ln.Close()
	}

	dir, err := os.MkdirTemp("", "queryf-server-")
	if err != nil {
		fail("%v", err)
	}
	defer os.RemoveAll(dir)
	cfgPath := filepath.Join(dir, "tars.tarsregistry.config.conf")
	if err = os.WriteFile(cfgPath, []byte(fmt.Sprintf(template, dir, graceMs, host, port, servant)), 0o644); err != nil {
		fail("%v", err)
	}
	tars.ServerConfigPath = cfgPath
	tars.GetServerConfig() // parses the configuration; AddServant needs the adapter from it
	tars.AddServant(new(queryf.QueryF), registry{}, servant)

	go func() { // readiness: TarsGo has no hook for "listening", so probe the port
		for {
			if c, err := net.DialTimeout("tcp", *addr, time.Second); err == nil {
				c.Close()
				fmt.Printf("listening %s pid %d\n", *addr, os.Getpid())
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	// TarsGo installs its signal handler only once it listens. This one keeps an early signal
	// from killing the process outright and bounds the shutdown if TarsGo never saw the signal.
	var stopping atomic.Bool
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, os.Interrupt)
	go func() {
		<-sigs
		stopping.Store(true)
		time.Sleep(graceMs*time.Millisecond + time.Second)
		fmt.Fprintln(os.Stderr, "queryf-server: TarsGo did not stop within 2 s of the signal; exiting")
		os.RemoveAll(dir)
		os.Exit(0)
	}()

	tars.Run() // returns after TarsGo's graceful shutdown, or at once if TarsGo failed to start
	if !stopping.Load() {
		os.RemoveAll(dir)
		fail("TarsGo stopped without a signal (TarsGo printed its reason on stdout)")
	}
}
