package fsio

import (
	"encoding/binary"
	"os"
	"syscall"
	"time"
)

// identity encodes what lstat says about a file that changes when its
// contents or exec bit do.
func identity(fi os.FileInfo) ([]byte, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil, false
	}
	b := make([]byte, 0, 52)
	b = binary.LittleEndian.AppendUint64(b, st.Dev)
	b = binary.LittleEndian.AppendUint64(b, st.Ino)
	b = binary.LittleEndian.AppendUint64(b, uint64(st.Size))
	b = binary.LittleEndian.AppendUint64(b, uint64(st.Mtim.Nano()))
	b = binary.LittleEndian.AppendUint64(b, uint64(st.Ctim.Nano()))
	b = binary.LittleEndian.AppendUint32(b, st.Mode)
	return b, true
}

// changedBefore reports whether the file's last change (its ctime, which
// no one can set back) is before t.
func changedBefore(fi os.FileInfo, t time.Time) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && time.Unix(st.Ctim.Unix()).Before(t)
}
