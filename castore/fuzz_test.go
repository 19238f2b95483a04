package castore

import (
	"bytes"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/govix/govix/castore/castorepb"
)

// FuzzUnmarshalDirectory feeds arbitrary bytes to the strict decoder and
// checks it against protobuf-go: whatever it accepts is canonical (it
// re-encodes to the same bytes) and valid, and protobuf-go plus
// DirectoryFromProto reads the same directory; whatever protobuf-go reads,
// validates and re-encodes to the input, the strict decoder accepts too.
func FuzzUnmarshalDirectory(f *testing.F) {
	for _, d := range sampleDirs(f) {
		f.Add(d.Marshal())
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		d, err := UnmarshalDirectory(in)
		var pb castorepb.Directory
		pbErr := proto.Unmarshal(in, &pb)
		var fromPB *Directory
		if pbErr == nil {
			fromPB, pbErr = DirectoryFromProto(&pb)
		}
		if err == nil {
			if err := d.Validate(); err != nil {
				t.Fatalf("accepted an invalid directory: %v", err)
			}
			if got := d.Marshal(); !bytes.Equal(got, in) {
				t.Fatalf("accepted non-canonical %x (re-encodes as %x)", in, got)
			}
			if d.Digest() != Sum(in) {
				t.Fatalf("digest is not BLAKE3 of the input")
			}
			if pbErr != nil {
				t.Fatalf("strict decoder accepted what protobuf-go refused: %v", pbErr)
			}
			if !equalDirs(d, fromPB) {
				t.Fatalf("decoders disagree")
			}
			return
		}
		if pbErr == nil && bytes.Equal(fromPB.Marshal(), in) {
			t.Fatalf("refused canonical, valid input %x: %v", in, err)
		}
	})
}

// FuzzUnmarshalNode does the same for the Node message.
func FuzzUnmarshalNode(f *testing.F) {
	for _, d := range sampleDirs(f) {
		for _, e := range d.Entries {
			f.Add(MarshalNode(e.Name, e.Node))
			f.Add(MarshalNode("", e.Node))
		}
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		name, n, err := UnmarshalNode(in)
		var pb castorepb.Node
		pbErr := proto.Unmarshal(in, &pb)
		if err != nil {
			return
		}
		if pbErr != nil {
			t.Fatalf("strict decoder accepted what protobuf-go refused: %v", pbErr)
		}
		if got := MarshalNode(name, n); !bytes.Equal(got, in) {
			t.Fatalf("accepted non-canonical %x", in)
		}
		pname, pn, err := NodeFromProto(&pb)
		if err != nil || pname != name || pn != n {
			t.Fatalf("NodeFromProto disagrees: %q %v %v", pname, pn, err)
		}
	})
}
