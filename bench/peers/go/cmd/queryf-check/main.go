// Command queryf-check verifies a QueryF server with the TarsGo client runtime
// (github.com/TarsCloud/TarsGo, pinned in ../../go.mod) before scripts/bench-peers loads it:
//
//	queryf-check --addr 127.0.0.1:PORT
//
// It calls tars_ping and then findObjectById("Test.HelloServer.HelloObj") on
// tars.tarsregistry.QueryObj@tcp -h HOST -p PORT -t 3000, prints what it got on one line and
// exits 0 if the answer holds 3 endpoints, 1 otherwise. No configuration file, locator or stat
// reporting is involved (each call times out after TarsGo's default 3 s).
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"strings"

	"github.com/TarsCloud/TarsGo/tars"
	"github.com/TarsCloud/TarsGo/tars/model"
	"github.com/TarsCloud/TarsGo/tars/protocol/res/queryf"
	"github.com/TarsCloud/TarsGo/tars/protocol/res/requestf"
)

// pinger is a stub for the framework's tars_ping, which no generated proxy exposes.
type pinger struct{ servant model.Servant }

func (p *pinger) SetServant(s model.Servant) { p.servant = s }

func (p *pinger) ping() error {
	var resp requestf.ResponsePacket
	return p.servant.TarsInvoke(context.Background(), 0, "tars_ping", nil, nil, nil, &resp)
}

func main() {
	addr := flag.String("addr", "", "HOST:PORT of the QueryF server (required)")
	flag.Parse()
	fail := func(format string, args ...interface{}) {
		fmt.Fprintf(os.Stderr, "queryf-check: "+format+"\n", args...)
		os.Exit(1)
	}
	host, port, err := net.SplitHostPort(*addr)
	if err != nil || host == "" || port == "" || flag.NArg() != 0 {
		fail("usage: queryf-check --addr HOST:PORT")
	}
	// Without tars.ServerConfigPath TarsGo parses os.Args itself looking for -config and
	// complains about any other flag: hide ours from it.
	os.Args = os.Args[:1]
	comm := tars.NewCommunicator()
	obj := fmt.Sprintf("tars.tarsregistry.QueryObj@tcp -h %s -p %s -t 3000", host, port)

	ping := new(pinger)
	comm.StringToProxy(obj, ping)
	if err := ping.ping(); err != nil {
		fail("tars_ping on %s: %v", obj, err)
	}
	query := new(queryf.QueryF)
	comm.StringToProxy(obj, query)
	eps, err := query.FindObjectById("Test.HelloServer.HelloObj")
	if err != nil {
		fail("findObjectById on %s: %v", obj, err)
	}
	var list []string
	for _, e := range eps {
		list = append(list, fmt.Sprintf("%s:%d", e.Host, e.Port))
	}
	if len(eps) != 3 {
		fail("findObjectById returned %d endpoints, want 3: [%s]", len(eps), strings.Join(list, " "))
	}
	fmt.Printf("ok: tars_ping answered; findObjectById returned %s\n", strings.Join(list, " "))
}
