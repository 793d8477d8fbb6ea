// Command codec-bench measures the TarsGo codec (github.com/TarsCloud/TarsGo, pinned in
// ../../go.mod) on the three canonical fixtures, for scripts/bench-peers.
//
//	codec-bench --fixtures DIR [--millis 300] [--fixture NAME] [--op OP]
//
// DIR holds stat-report-1000.bin, endpoints-100.bin and request-small.bin (layouts in
// /work/shared/fixtures/codec/README.md). Each is decoded into TarsGo's own generated types with
// exactly the calls the generated code makes (tars2go output in tars/protocol/res):
//
//	stat-report-1000  reportMicMsg's arguments as StatF.Dispatch reads them and the StatF proxy
//	                  writes them: map[statf.StatMicMsgHead]statf.StatMicMsgBody at tag 1, bool at tag 2
//	endpoints-100     findObjectById's result as the QueryF proxy reads it and QueryF.Dispatch
//	                  writes it: []endpointf.EndpointF at tag 0
//	request-small     a top-level requestf.RequestPacket, ReadFrom/WriteTo as tars.Protocol.Invoke uses
//
// Ops: decode (codec.NewReader over the bytes + full decode into fresh native values),
// encode-fresh (codec.NewBuffer + encode of the decoded value, as every generated stub does),
// encode-reused (one codec.Buffer, Reset before each encode: Buffer wraps a bytes.Buffer and
// Reset truncates it to length 0 but keeps its grown backing array, so after the first round no
// buffer growth happens; the generated Dispatch uses the same Reset on its response buffer).
//
// Per (fixture, op): one warm-up run, then 5 timed runs of at least --millis each; the median
// ns/op is reported as one JSON line on stdout. MB/s = bytes / ns_per_op * 1e3 with MB = 1e6
// bytes (bytes per ns is GB/s). Before timing, every fixture is checked: counts, servant name,
// re-encoded length equal to the fixture's, and re-encoded bytes decoding back to equal values
// (Go maps iterate in random order, so map entries may be re-encoded in another order).
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"sort"
	"time"

	"github.com/TarsCloud/TarsGo/tars/protocol/codec"
	"github.com/TarsCloud/TarsGo/tars/protocol/res/endpointf"
	"github.com/TarsCloud/TarsGo/tars/protocol/res/requestf"
	"github.com/TarsCloud/TarsGo/tars/protocol/res/statf"
)

// Package-level sinks: every measured op stores its result here, so the work cannot be dropped.
var (
	sinkStat      map[statf.StatMicMsgHead]statf.StatMicMsgBody
	sinkEndpoints []endpointf.EndpointF
	sinkRequest   requestf.RequestPacket
	sinkBytes     []byte
)

type statArgs struct {
	msg         map[statf.StatMicMsgHead]statf.StatMicMsgBody
	bFromClient bool
}

// decodeStat reads reportMicMsg's arguments like the generated StatF.Dispatch (no size hint).
func decodeStat(data []byte) (a statArgs, err error) {
	r := codec.NewReader(data)
	if _, err = r.SkipTo(codec.MAP, 1, true); err != nil {
		return a, err
	}
	var n int32
	if err = r.ReadInt32(&n, 0, true); err != nil {
		return a, err
	}
	a.msg = make(map[statf.StatMicMsgHead]statf.StatMicMsgBody)
	for i := int32(0); i < n; i++ {
		var k statf.StatMicMsgHead
		var v statf.StatMicMsgBody
		if err = k.ReadBlock(r, 0, true); err != nil {
			return a, err
		}
		if err = v.ReadBlock(r, 1, true); err != nil {
			return a, err
		}
		a.msg[k] = v
	}
	err = r.ReadBool(&a.bFromClient, 2, true)
	return a, err
}

// encodeStat writes reportMicMsg's arguments like the generated StatF proxy.
func encodeStat(buf *codec.Buffer, a statArgs) error {
	if err := buf.WriteHead(codec.MAP, 1); err != nil {
		return err
	}
	if err := buf.WriteInt32(int32(len(a.msg)), 0); err != nil {
		return err
	}
	for k, v := range a.msg {
		if err := k.WriteBlock(buf, 0); err != nil {
			return err
		}
		if err := v.WriteBlock(buf, 1); err != nil {
			return err
		}
	}
	return buf.WriteBool(a.bFromClient, 2)
}

// decodeEndpoints reads findObjectById's result like the generated QueryF proxy.
func decodeEndpoints(data []byte) ([]endpointf.EndpointF, error) {
	r := codec.NewReader(data)
	_, ty, err := r.SkipToNoCheck(0, true)
	if err != nil {
		return nil, err
	}
	if ty != codec.LIST {
		return nil, fmt.Errorf("require vector, but not")
	}
	var n int32
	if err = r.ReadInt32(&n, 0, true); err != nil {
		return nil, err
	}
	ret := make([]endpointf.EndpointF, n)
	for i := range ret {
		if err = ret[i].ReadBlock(r, 0, true); err != nil {
			return nil, err
		}
	}
	return ret, nil
}

// encodeEndpoints writes findObjectById's result like the generated QueryF.Dispatch.
func encodeEndpoints(buf *codec.Buffer, eps []endpointf.EndpointF) error {
	if err := buf.WriteHead(codec.LIST, 0); err != nil {
		return err
	}
	if err := buf.WriteInt32(int32(len(eps)), 0); err != nil {
		return err
	}
	for _, v := range eps {
		if err := v.WriteBlock(buf, 0); err != nil {
			return err
		}
	}
	return nil
}

func decodeRequest(data []byte) (p requestf.RequestPacket, err error) {
	err = p.ReadFrom(codec.NewReader(data))
	return p, err
}

// codecOps holds the three measured closures of one fixture and the value it decodes to.
type codecOps struct {
	name string
	data []byte
	ops  map[string]func() error
}

// newOps decodes the fixture once, checks it (see check), and builds its measured closures.
func newOps[T any](name string, data []byte, decode func([]byte) (T, error),
	encode func(*codec.Buffer, T) error, sink func(T), check func(T) error) (*codecOps, error) {
	v, err := decode(data)
	if err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	if err = check(v); err != nil {
		return nil, err
	}
	buf := codec.NewBuffer()
	if err = encode(buf, v); err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	out := buf.ToBytes()
	if len(out) != len(data) {
		return nil, fmt.Errorf("re-encoded %d bytes, the fixture has %d", len(out), len(data))
	}
	back, err := decode(out)
	if err != nil {
		return nil, fmt.Errorf("decoding the re-encoded bytes: %w", err)
	}
	if !reflect.DeepEqual(v, back) {
		return nil, fmt.Errorf("the re-encoded bytes decode to different values")
	}
	fmt.Fprintf(os.Stderr, "codec-bench: %s: checks passed; re-encoded bytes identical to the fixture: %v\n",
		name, bytes.Equal(out, data))

	reused := codec.NewBuffer()
	return &codecOps{name: name, data: data, ops: map[string]func() error{
		"decode": func() error {
			d, err := decode(data)
			sink(d)
			return err
		},
		"encode-fresh": func() error {
			b := codec.NewBuffer()
			err := encode(b, v)
			sinkBytes = b.ToBytes()
			return err
		},
		"encode-reused": func() error {
			reused.Reset()
			err := encode(reused, v)
			sinkBytes = reused.ToBytes()
			return err
		},
	}}, nil
}

func loadFixtures(dir string) ([]*codecOps, error) {
	read := func(name string) ([]byte, error) { return os.ReadFile(filepath.Join(dir, name+".bin")) }
	var all []*codecOps
	add := func(name string, build func([]byte) (*codecOps, error)) error {
		data, err := read(name)
		if err != nil {
			return err
		}
		ops, err := build(data)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		all = append(all, ops)
		return nil
	}
	if err := add("stat-report-1000", func(d []byte) (*codecOps, error) {
		return newOps("stat-report-1000", d, decodeStat, encodeStat, func(a statArgs) { sinkStat = a.msg },
			func(a statArgs) error {
				if len(a.msg) != 1000 || !a.bFromClient {
					return fmt.Errorf("decoded %d map entries and bFromClient=%v, want 1000 and true", len(a.msg), a.bFromClient)
				}
				return nil
			})
	}); err != nil {
		return nil, err
	}
	if err := add("endpoints-100", func(d []byte) (*codecOps, error) {
		return newOps("endpoints-100", d, decodeEndpoints, encodeEndpoints, func(e []endpointf.EndpointF) { sinkEndpoints = e },
			func(e []endpointf.EndpointF) error {
				if len(e) != 100 || e[0].Host != "app-server-0.app-server" {
					return fmt.Errorf("decoded %d endpoints, want 100 starting with app-server-0.app-server", len(e))
				}
				return nil
			})
	}); err != nil {
		return nil, err
	}
	if err := add("request-small", func(d []byte) (*codecOps, error) {
		return newOps("request-small", d, decodeRequest,
			func(b *codec.Buffer, p requestf.RequestPacket) error { return p.WriteTo(b) },
			func(p requestf.RequestPacket) { sinkRequest = p },
			func(p requestf.RequestPacket) error {
				if p.SServantName != "tars.tarsregistry.QueryObj" || p.SFuncName != "findObjectById" || len(p.SBuffer) != 30 || len(p.Context) != 2 {
					return fmt.Errorf("decoded servant %q, function %q, %d sBuffer bytes, %d context entries; want tars.tarsregistry.QueryObj, findObjectById, 30, 2",
						p.SServantName, p.SFuncName, len(p.SBuffer), len(p.Context))
				}
				return nil
			})
	}); err != nil {
		return nil, err
	}
	return all, nil
}

// measure returns the median ns/op of 5 runs of at least d each, after one warm-up run of d.
// The warm-up also sizes a batch of about 1 ms so the clock is read rarely in the timed runs.
func measure(f func() error, d time.Duration) (float64, error) {
	n, start := 0, time.Now()
	for time.Since(start) < d {
		if err := f(); err != nil {
			return 0, err
		}
		n++
	}
	batch := int(float64(n) * float64(time.Millisecond) / float64(time.Since(start)))
	if batch < 1 {
		batch = 1
	}
	var runs []float64
	for r := 0; r < 5; r++ {
		runtime.GC() // every run starts from the same heap state
		iters, start := 0, time.Now()
		var elapsed time.Duration
		for elapsed < d {
			for i := 0; i < batch; i++ {
				if err := f(); err != nil {
					return 0, err
				}
			}
			iters += batch
			elapsed = time.Since(start)
		}
		runs = append(runs, float64(elapsed.Nanoseconds())/float64(iters))
	}
	sort.Float64s(runs)
	return runs[2], nil
}

type result struct {
	Peer     string  `json:"peer"`
	Fixture  string  `json:"fixture"`
	Op       string  `json:"op"`
	Bytes    int     `json:"bytes"`
	NsPerOp  float64 `json:"ns_per_op"`
	MBPerSec float64 `json:"mb_per_s"`
}

func main() {
	dir := flag.String("fixtures", "", "directory holding the three .bin fixtures (required)")
	millis := flag.Int("millis", 300, "minimum length of each timed run, in milliseconds")
	onlyFixture := flag.String("fixture", "", "measure only this fixture (stat-report-1000, endpoints-100, request-small)")
	onlyOp := flag.String("op", "", "measure only this op (decode, encode-fresh, encode-reused)")
	flag.Parse()
	fail := func(format string, args ...interface{}) {
		fmt.Fprintf(os.Stderr, "codec-bench: "+format+"\n", args...)
		os.Exit(1)
	}
	if *dir == "" || flag.NArg() != 0 || *millis <= 0 {
		fail("usage: codec-bench --fixtures DIR [--millis N] [--fixture NAME] [--op OP]")
	}
	opNames := []string{"decode", "encode-fresh", "encode-reused"}
	if *onlyOp != "" && *onlyOp != "decode" && *onlyOp != "encode-fresh" && *onlyOp != "encode-reused" {
		fail("unknown op %q (decode, encode-fresh, encode-reused)", *onlyOp)
	}
	fixtures, err := loadFixtures(*dir)
	if err != nil {
		fail("%v", err)
	}
	found := false
	for _, fx := range fixtures {
		if *onlyFixture != "" && fx.name != *onlyFixture {
			continue
		}
		found = true
		for _, op := range opNames {
			if *onlyOp != "" && op != *onlyOp {
				continue
			}
			ns, err := measure(fx.ops[op], time.Duration(*millis)*time.Millisecond)
			if err != nil {
				fail("%s %s: %v", fx.name, op, err)
			}
			line, _ := json.Marshal(result{"tarsgo", fx.name, op, len(fx.data),
				float64(int64(ns*10+0.5)) / 10, float64(int64(float64(len(fx.data))/ns*1e4+0.5)) / 10})
			fmt.Println(string(line))
		}
	}
	if !found {
		fail("unknown fixture %q (stat-report-1000, endpoints-100, request-small)", *onlyFixture)
	}
}
