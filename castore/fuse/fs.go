package fuse

import (
	"container/list"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	gofuse "github.com/hanwen/go-fuse/v2/fuse"

	"github.com/govix/govix/castore"
)

// rootID is the FUSE node id of the mount point, fixed by the protocol.
const rootID = gofuse.FUSE_ROOT_ID

// maxRead is the largest READ the kernel is asked to send (it may cap it
// lower): big reads mean few round trips for large files.
const maxRead = 1 << 20

// fileSystem implements go-fuse's raw protocol interface over castore.
// Operations it does not implement answer ENOSYS, which for the ones a
// read-only tree needs (xattrs, lseek) makes the kernel stop asking.
type fileSystem struct {
	gofuse.RawFileSystem

	// ctx is for backend calls; it lives as long as the server serves,
	// longer than the mount's context when a busy mount is detached.
	ctx    context.Context
	blobs  castore.BlobService
	dirs   castore.DirectoryService
	lister RootLister
	log    *slog.Logger
	owner  gofuse.Owner
	ttl    time.Duration

	mu     sync.Mutex
	nodes  map[uint64]*inode  // by FUSE node id
	byKey  map[nodeKey]*inode // the same node shares one id
	nextID uint64

	prefetchMax int            // largest file prefetched; <= 0 for none
	prefetchQ   chan *inode    // files to push
	notify      *gofuse.Server // for FUSE_NOTIFY_STORE

	// Listing ahead (walk.go), through the mount at mountpoint; off
	// without one (walkCtx nil).
	mountpoint string
	dev        atomic.Uint64 // the mount's st_dev, once mounted
	walkCtx    context.Context
	stopWalk   context.CancelFunc
	walks      dirStack
	walking    sync.WaitGroup

	noOpen    bool // the kernel does without OPEN and RELEASE for files
	noOpenDir bool // and without OPENDIR and RELEASEDIR for directories

	rmu  sync.Mutex
	idle list.List // idle *blobReader, least recently used first

	hmu      sync.Mutex // guards the open directory handles
	dirsOpen map[uint64]*dirHandle
	nextFh   uint64
}

// nodeKey is a node's identity: what makes two nodes interchangeable. A
// directory's Size is not part of it, since its digest determines it.
type nodeKey struct {
	kind   castore.Kind
	digest castore.Digest
	exec   bool
	target string
}

func keyOf(n castore.Node) nodeKey {
	return nodeKey{kind: n.Kind, digest: n.Digest, exec: n.Executable, target: n.Target}
}

// inoOf derives a stable inode number from a node's identity: the same node
// has the same st_ino wherever and whenever it is looked up. 0 and 1 (the
// root's) are avoided. Two different nodes could collide with odds of about
// n²/2⁶⁵; they would merely look like hard links to tools that compare
// inode numbers of files with st_nlink > 1, which ours never have.
func inoOf(k nodeKey) uint64 {
	buf := make([]byte, 0, 2+castore.DigestSize+len(k.target))
	exec := byte(0)
	if k.exec {
		exec = 1
	}
	buf = append(buf, byte(k.kind), exec)
	buf = append(buf, k.digest[:]...)
	buf = append(buf, k.target...)
	sum := castore.Sum(buf)
	ino := binary.LittleEndian.Uint64(sum[:8])
	if ino <= rootID {
		ino += 2
	}
	return ino
}

// inode is one node the kernel knows by id.
type inode struct {
	id   uint64
	node castore.Node
	key  nodeKey
	ino  uint64

	nlookup uint64 // the kernel's references; guarded by fileSystem.mu

	// parent and name are where the kernel first found the node: a path
	// to it (a node found under several names keeps its first). Nothing
	// below the root can contain itself, so parents lead to the root.
	// The root's are nil and "". Set once, before the inode is shared.
	parent *inode
	name   string

	// dir caches a directory's contents once read; immutable, so a race
	// to fill it is harmless.
	dir atomic.Pointer[castore.Directory]

	readers []*blobReader // a file's idle readers; guarded by fileSystem.rmu

	listing    atomic.Pointer[prefetchGroup] // a directory's listed files
	group      atomic.Pointer[prefetchGroup] // the listing a file was last handed out by
	prefetched atomic.Bool                   // queued for pushing into the page cache once
	walked     atomic.Bool                   // a directory queued for listing ahead once
	read       atomic.Bool                   // the kernel asked to read it
}

// newFileSystem serves root from blobs and dirs. mountpoint is where it is
// mounted, for listing ahead; "" turns that off.
func newFileSystem(ctx context.Context, blobs castore.BlobService, dirs castore.DirectoryService, root Root, mountpoint string, log *slog.Logger, ttl time.Duration, prefetchMax int) *fileSystem {
	fs := &fileSystem{
		RawFileSystem: gofuse.NewDefaultRawFileSystem(),
		ctx:           ctx,
		blobs:         blobs,
		dirs:          dirs,
		lister:        root.lister,
		log:           log,
		owner:         gofuse.Owner{Uid: uint32(syscall.Geteuid()), Gid: uint32(syscall.Getegid())},
		ttl:           ttl,
		prefetchMax:   prefetchMax,
		mountpoint:    mountpoint,
		nodes:         make(map[uint64]*inode),
		byKey:         make(map[nodeKey]*inode),
		nextID:        rootID,
		dirsOpen:      make(map[uint64]*dirHandle),
	}
	rn := root.node
	if root.lister != nil {
		rn = castore.Node{Kind: castore.KindDirectory}
	}
	// The root is not in byKey: nothing below it can be identical to it,
	// and a lister's root has no identity at all.
	fs.nodes[rootID] = &inode{id: rootID, node: rn, key: keyOf(rn), ino: rootID, nlookup: 1}
	return fs
}

func (fs *fileSystem) String() string { return "castore" }

// node returns the inode the kernel calls id.
func (fs *fileSystem) node(id uint64) *inode {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.nodes[id]
}

// ref returns the inode for n, found as name in parent, creating it if the
// kernel does not know n yet, and counts one more kernel reference to it.
func (fs *fileSystem) ref(parent *inode, name string, n castore.Node) *inode {
	k := keyOf(n)
	fs.mu.Lock()
	defer fs.mu.Unlock()
	in := fs.byKey[k]
	if in == nil {
		fs.nextID++
		in = &inode{id: fs.nextID, node: n, key: k, ino: inoOf(k), parent: parent, name: name}
		fs.nodes[in.id] = in
		fs.byKey[k] = in
	}
	in.nlookup++
	return in
}

// path returns a path of in relative to the mount point (its first name,
// for a node found under several), or false when in has none.
func (fs *fileSystem) path(in *inode) (string, bool) {
	var names []string
	fs.mu.Lock()
	for ; in.id != rootID; in = in.parent {
		if in.parent == nil {
			fs.mu.Unlock()
			return "", false
		}
		names = append(names, in.name)
	}
	fs.mu.Unlock()
	slices.Reverse(names)
	return filepath.Join(append([]string{"."}, names...)...), true
}

// Forget drops n of the kernel's references to a node; at zero the node is
// forgotten (its number stays the same, being derived from its identity).
func (fs *fileSystem) Forget(id, n uint64) {
	if id == rootID {
		return
	}
	fs.mu.Lock()
	in := fs.nodes[id]
	if in == nil {
		fs.mu.Unlock()
		return
	}
	if n < in.nlookup {
		in.nlookup -= n
		fs.mu.Unlock()
		return
	}
	delete(fs.nodes, id)
	if fs.byKey[in.key] == in {
		delete(fs.byKey, in.key)
	}
	fs.mu.Unlock()
	if in.node.Kind == castore.KindFile {
		fs.closeReaders(in)
	}
}

// OnUnmount releases what serving held.
func (fs *fileSystem) OnUnmount() { fs.closeAllReaders() }

// fillAttr describes in. Everything is owned by whoever mounted, read-only,
// and dated 1 second after the epoch as in the Nix store.
func (fs *fileSystem) fillAttr(in *inode, a *gofuse.Attr) {
	n := &in.node
	*a = gofuse.Attr{
		Ino:     in.ino,
		Atime:   1,
		Mtime:   1,
		Ctime:   1,
		Nlink:   1,
		Owner:   fs.owner,
		Blksize: maxRead,
	}
	switch n.Kind {
	case castore.KindDirectory:
		// st_nlink 1 tells find and friends that the subdirectory count
		// is unknown, as btrfs does, which spares loading every child
		// directory just to count. The size is castore's: the number of
		// nodes below.
		a.Mode = syscall.S_IFDIR | 0o555
		a.Size = n.Size
		// glibc sizes its readdir buffer by st_blksize, and the
		// kernel asks for listings of that size, allocating it in
		// one piece: 1 MiB (maxRead) per listing is a costly
		// allocation for a few entries. 4 KiB makes it 32 KiB.
		a.Blksize = 4096
	case castore.KindFile:
		a.Mode = syscall.S_IFREG | 0o444
		if n.Executable {
			a.Mode = syscall.S_IFREG | 0o555
		}
		a.Size = n.Size
		a.Blocks = (n.Size + 511) / 512
	case castore.KindSymlink:
		a.Mode = syscall.S_IFLNK | 0o777
		a.Size = uint64(len(n.Target))
	}
}

func (fs *fileSystem) fillEntry(in *inode, out *gofuse.EntryOut) {
	out.NodeId = in.id
	out.Generation = 0 // ids are never reused within a mount
	out.SetEntryTimeout(fs.ttl)
	out.SetAttrTimeout(fs.ttl)
	fs.fillAttr(in, &out.Attr)
}

func (fs *fileSystem) Lookup(_ <-chan struct{}, h *gofuse.InHeader, name string, out *gofuse.EntryOut) gofuse.Status {
	parent := fs.node(h.NodeId)
	if parent == nil {
		return gofuse.Status(syscall.ESTALE)
	}
	var child castore.Node
	if parent.id == rootID && fs.lister != nil {
		n, err := fs.lister.Lookup(fs.ctx, name)
		if errors.Is(err, castore.ErrNotFound) {
			// Not cached: the entry may appear any moment.
			return gofuse.ENOENT
		}
		if err == nil {
			err = validEntry(name, n)
		}
		if err != nil {
			return fs.fail(fmt.Errorf("looking up %q at the root: %w", name, err))
		}
		child = n
	} else {
		d, status := fs.directory(parent)
		if !status.Ok() {
			return status
		}
		n, ok := d.Lookup(name)
		if !ok {
			// A negative entry, cached as long as a positive one: the
			// directory cannot change.
			out.NodeId = 0
			out.SetEntryTimeout(fs.ttl)
			return gofuse.OK
		}
		child = n
	}
	fs.fillEntry(fs.ref(parent, name, child), out)
	return gofuse.OK
}

func validEntry(name string, n castore.Node) error {
	if err := castore.ValidateName(name); err != nil {
		return err
	}
	return n.Validate()
}

// directory returns the contents of the directory in, reading them from
// the directory service the first time.
func (fs *fileSystem) directory(in *inode) (*castore.Directory, gofuse.Status) {
	if d := in.dir.Load(); d != nil {
		return d, gofuse.OK
	}
	if in.node.Kind != castore.KindDirectory {
		return nil, gofuse.ENOTDIR
	}
	d, err := fs.dirs.Get(fs.ctx, in.node.Digest)
	if err == nil && d.Size() != in.node.Size {
		err = fmt.Errorf("%w: directory %s has size %d, but its parent claims %d", castore.ErrCorrupt, in.node.Digest, d.Size(), in.node.Size)
	}
	if err != nil {
		return nil, fs.fail(fmt.Errorf("reading directory: %w", err))
	}
	in.dir.Store(d)
	return d, gofuse.OK
}

// fail logs a backend error and turns it into EIO, which is all a reader
// of the file system can be told.
func (fs *fileSystem) fail(err error) gofuse.Status {
	fs.log.Error("castore fuse: " + err.Error())
	return gofuse.EIO
}

func (fs *fileSystem) GetAttr(_ <-chan struct{}, in *gofuse.GetAttrIn, out *gofuse.AttrOut) gofuse.Status {
	n := fs.node(in.NodeId)
	if n == nil {
		return gofuse.Status(syscall.ESTALE)
	}
	fs.fillAttr(n, &out.Attr)
	out.SetTimeout(fs.ttl)
	return gofuse.OK
}

func (fs *fileSystem) Readlink(_ <-chan struct{}, h *gofuse.InHeader) ([]byte, gofuse.Status) {
	n := fs.node(h.NodeId)
	if n == nil {
		return nil, gofuse.Status(syscall.ESTALE)
	}
	if n.node.Kind != castore.KindSymlink {
		return nil, gofuse.EINVAL
	}
	return []byte(n.node.Target), gofuse.OK
}

func (fs *fileSystem) StatFs(_ <-chan struct{}, _ *gofuse.InHeader, out *gofuse.StatfsOut) gofuse.Status {
	*out = gofuse.StatfsOut{Bsize: 4096, Frsize: 4096, NameLen: castore.MaxNameLen}
	return gofuse.OK
}
