// Command buildkit-races runs BuildKit's own solver package on two definitions built as two
// concurrent jobs on one fresh solver (the oracle's phase f: the original definition and its
// mutated copy) with the oracle's content-variant stub ops, many times, and prints how often
// each outcome came up: one job owning every merged edge, or owners mixed vertex by vertex.
//
// It is a research tool for llbsim's README ("Races"), not part of llbsim's build or tests:
// it needs a Go toolchain and BuildKit's source tree. See README.md next to it.
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/session"
	"github.com/moby/buildkit/solver"
	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"
)

type vtx struct {
	dgst   digest.Digest
	op     *pb.Op
	inputs []solver.Edge
	name   string
}

func (v *vtx) Digest() digest.Digest         { return v.dgst }
func (v *vtx) Sys() any                      { return v.op }
func (v *vtx) Options() solver.VertexOptions { return solver.VertexOptions{} }
func (v *vtx) Inputs() []solver.Edge         { return v.inputs }
func (v *vtx) Name() string                  { return v.name }

func load(path string) (solver.Edge, map[digest.Digest]*vtx) {
	data, err := os.ReadFile(path)
	if err != nil {
		panic(err)
	}
	var def pb.Definition
	if err := def.UnmarshalVT(data); err != nil {
		panic(err)
	}
	ops := map[digest.Digest]*pb.Op{}
	var last digest.Digest
	for _, b := range def.Def {
		var op pb.Op
		if err := op.UnmarshalVT(b); err != nil {
			panic(err)
		}
		d := digest.FromBytes(b)
		ops[d] = &op
		last = d
	}
	vs := map[digest.Digest]*vtx{}
	var get func(d digest.Digest) *vtx
	get = func(d digest.Digest) *vtx {
		if v, ok := vs[d]; ok {
			return v
		}
		op := ops[d]
		v := &vtx{dgst: d, op: op}
		for _, in := range op.Inputs {
			v.inputs = append(v.inputs, solver.Edge{Index: solver.Index(in.Index), Vertex: get(digest.Digest(in.Digest))})
		}
		switch o := op.Op.(type) {
		case *pb.Op_Exec:
			v.name = strings.Join(o.Exec.Meta.Args, " ")
		case *pb.Op_Source:
			v.name = o.Source.Identifier
		default:
			v.name = string(d)[:19]
		}
		vs[d] = v
		return v
	}
	term := ops[last]
	in := term.Inputs[0]
	return solver.Edge{Index: solver.Index(in.Index), Vertex: get(digest.Digest(in.Digest))}, vs
}

type res struct{ id string }

func (r *res) ID() string                    { return r.id }
func (r *res) Release(context.Context) error { return nil }
func (r *res) Sys() any                      { return r }
func (r *res) Clone() solver.Result          { return &res{id: r.id} }

type stub struct {
	v *vtx
}

func sha(s string) digest.Digest {
	h := sha256.Sum256([]byte(s))
	return digest.Digest("sha256:" + hex.EncodeToString(h[:]))
}

func (s *stub) CacheMap(ctx context.Context, _ solver.JobContext, index int) (*solver.CacheMap, bool, error) {
	op := s.v.op.CloneVT()
	op.Inputs = nil
	b, _ := op.MarshalVT()
	cm := &solver.CacheMap{Digest: sha("oracle-cachemap:" + string(b))}
	cm.Deps = make([]struct {
		Selector          digest.Digest
		ComputeDigestFunc solver.ResultBasedCacheFunc
		PreprocessFunc    solver.PreprocessFunc
	}, len(s.v.inputs))
	switch s.v.op.Op.(type) {
	case *pb.Op_Exec, *pb.Op_File:
		for i := range cm.Deps {
			cm.Deps[i].ComputeDigestFunc = func(ctx context.Context, r solver.Result, _ session.Group) (digest.Digest, error) {
				return sha("oracle-content:" + r.ID()), nil
			}
		}
	}
	return cm, true, nil
}

func (s *stub) Exec(ctx context.Context, _ solver.JobContext, inputs []solver.Result) ([]solver.Result, error) {
	select {
	case <-time.After(5 * time.Millisecond):
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	}
	n := 1
	switch o := s.v.op.Op.(type) {
	case *pb.Op_Exec:
		n = 0
		for _, m := range o.Exec.Mounts {
			if m.Output >= 0 {
				n++
			}
		}
	case *pb.Op_File:
		n = 0
		for _, a := range o.File.Actions {
			if a.Output >= 0 {
				n++
			}
		}
	}
	if n < 1 {
		n = 1
	}
	out := make([]solver.Result, n)
	for i := range out {
		if src, ok := s.v.op.Op.(*pb.Op_Source); ok {
			out[i] = &res{id: fmt.Sprintf("src:%s#%d", src.Source.Identifier, i)}
		} else {
			out[i] = &res{id: fmt.Sprintf("%s#%d", s.v.dgst, i)}
		}
	}
	return out, nil
}

func (s *stub) Acquire(ctx context.Context) (solver.ReleaseFunc, error) {
	return func() {}, nil
}

type final struct {
	started, completed, cached bool
}

func runJob(s *solver.Solver, id string, e solver.Edge, wg *sync.WaitGroup, out *map[digest.Digest]*final) {
	defer wg.Done()
	j, err := s.NewJob(id)
	if err != nil {
		panic(err)
	}
	ch := make(chan *client.SolveStatus)
	done := make(chan struct{})
	m := map[digest.Digest]*final{}
	go func() {
		for st := range ch {
			for _, v := range st.Vertexes {
				m[v.Digest] = &final{started: v.Started != nil, completed: v.Completed != nil, cached: v.Cached}
			}
		}
		close(done)
	}()
	go j.Status(context.Background(), ch)
	if _, err := j.Build(context.Background(), e); err != nil {
		panic(err)
	}
	j.CloseProgress()
	<-done
	j.Discard()
	*out = m
}

func main() {
	n := flag.Int("n", 20, "runs")
	summary := flag.Bool("summary", false, "classify runs by owner only")
	flag.Parse()
	e0, v0 := load(flag.Arg(0))
	e1, v1 := load(flag.Arg(1))
	hist := map[string]int{}
	for r := 0; r < *n; r++ {
		resolve := func(v solver.Vertex, b solver.Builder) (solver.Op, error) {
			if x, ok := v0[v.Digest()]; ok {
				return &stub{v: x}, nil
			}
			return &stub{v: v1[v.Digest()]}, nil
		}
		s := solver.NewSolver(solver.SolverOpt{ResolveOpFunc: resolve, DefaultCache: solver.NewInMemoryCacheManager()})
		var wg sync.WaitGroup
		var m0, m1 map[digest.Digest]*final
		wg.Add(2)
		go runJob(s, "job0", e0, &wg, &m0)
		go runJob(s, "job1", e1, &wg, &m1)
		wg.Wait()
		s.Close()
		// tally counts a job's stream: vertices marked cached, never started, and not its own.
		tally := func(m map[digest.Digest]*final, own map[digest.Digest]*vtx) (cached, regonly, foreign int, names []string) {
			for d, f := range m {
				if _, ok := own[d]; !ok {
					foreign++
				}
				if f.cached {
					cached++
					if v, ok := own[d]; ok {
						names = append(names, v.name)
					} else {
						names = append(names, "other:"+v1[d].name)
					}
				}
				if !f.started {
					regonly++
				}
			}
			sort.Strings(names)
			return
		}
		c0, r0, f0, n0 := tally(m0, v0)
		c1, r1, f1, n1 := tally(m1, v1)
		key := fmt.Sprintf("job0: n=%d cached=%d regonly=%d foreign=%d %v | job1: n=%d cached=%d regonly=%d foreign=%d %v",
			len(m0), c0, r0, f0, n0, len(m1), c1, r1, f1, n1)
		if *summary {
			switch {
			case c0 == 0 && c1 == 0 && f0 == 0:
				key = "job0 owns all"
			case c0 == 0 && c1 == 0 && f1 == 0:
				key = "job1 owns all"
			default:
				key = fmt.Sprintf("mixed (job0 inferred %d)", c0)
			}
		}
		hist[key]++
	}
	keys := make([]string, 0, len(hist))
	for k := range hist {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Printf("%4d  %s\n", hist[k], k)
	}
}
