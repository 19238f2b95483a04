package grpcstore_test

import (
	"context"
	"path/filepath"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	cgrpc "github.com/govix/govix/castore/grpcstore"
	cmemory "github.com/govix/govix/castore/memory"
	"github.com/govix/govix/store"
	"github.com/govix/govix/store/grpcstore"
	"github.com/govix/govix/store/memory"
	"github.com/govix/govix/store/pathinfotest"
	"github.com/govix/govix/store/storepb"
)

// TestHostilePathInfos: a raw client sending malformed PathInfos gets
// InvalidArgument for each, and nothing is stored.
func TestHostilePathInfos(t *testing.T) {
	st := store.NewStore(cmemory.New(), memory.New(), nil, nil)
	sock := filepath.Join(t.TempDir(), "s.sock")
	l, err := cgrpc.Listen("unix://" + sock)
	if err != nil {
		t.Fatal(err)
	}
	gs := grpc.NewServer()
	grpcstore.NewServer(st).Register(gs)
	go gs.Serve(l)
	defer gs.Stop()
	cc, err := grpc.NewClient("unix://"+sock, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	c := storepb.NewPathInfoServiceClient(cc)
	good := pathinfotest.Fixture(t, st, "good-1", "x").ToProto()

	for name, mutate := range map[string]func(p *storepb.PathInfo){
		"no node":         func(p *storepb.PathInfo) { p.Node = nil },
		"no narinfo":      func(p *storepb.PathInfo) { p.Narinfo = nil },
		"short reference": func(p *storepb.PathInfo) { p.References[0] = p.References[0][:19] },
		"names mismatch":  func(p *storepb.PathInfo) { p.Narinfo.ReferenceNames = p.Narinfo.ReferenceNames[:1] },
		"name of another hash": func(p *storepb.PathInfo) {
			p.Narinfo.ReferenceNames[0], p.Narinfo.ReferenceNames[1] = p.Narinfo.ReferenceNames[1], p.Narinfo.ReferenceNames[0]
		},
		"bad nar_sha256":    func(p *storepb.PathInfo) { p.Narinfo.NarSha256 = []byte{1} },
		"bad signature":     func(p *storepb.PathInfo) { p.Narinfo.Signatures[0].Data = []byte("short") },
		"unnamed signature": func(p *storepb.PathInfo) { p.Narinfo.Signatures[0].Name = "" },
		"bad deriver":       func(p *storepb.PathInfo) { p.Narinfo.Deriver.Digest = []byte{1, 2} },
		"bad ca":            func(p *storepb.PathInfo) { p.Narinfo.Ca = &storepb.NARInfo_CA{Type: 99, Digest: []byte{1}} },
		"ca digest length": func(p *storepb.PathInfo) {
			p.Narinfo.Ca = &storepb.NARInfo_CA{Type: storepb.NARInfo_CA_NAR_SHA256, Digest: []byte{1}}
		},
		"root name not a path": func(p *storepb.PathInfo) { p.Node.GetFile().Name = []byte("not-a-store-path") },
		"root name empty":      func(p *storepb.PathInfo) { p.Node.GetFile().Name = nil },
		"root digest short":    func(p *storepb.PathInfo) { p.Node.GetFile().Digest = []byte{1} },
	} {
		p := proto.Clone(good).(*storepb.PathInfo)
		mutate(p)
		_, err := c.Put(context.Background(), p)
		if status.Code(err) != codes.InvalidArgument {
			t.Errorf("%s: Put = %v, want InvalidArgument", name, err)
		}
	}
	if _, err := c.Get(context.Background(), &storepb.GetPathInfoRequest{ByWhat: &storepb.GetPathInfoRequest_ByOutputHash{ByOutputHash: []byte{1}}}); status.Code(err) != codes.InvalidArgument {
		t.Errorf("Get with a short hash: %v", err)
	}
	for range st.PathInfo.List(context.Background()) {
		t.Fatal("something was stored")
	}
	// The good one is accepted.
	if _, err := c.Put(context.Background(), good); err != nil {
		t.Fatalf("good PathInfo refused: %v", err)
	}
}
