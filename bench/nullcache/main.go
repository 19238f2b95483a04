// Command nullcache is an HTTP binary cache that stores nothing: it
// accepts every upload and discards it, and has no narinfo or NAR to
// give. bench/store.sh times nix copy --to it to show what Nix's own HTTP
// upload costs, the floor under any binary cache served over HTTP (Nix
// 2.8 reads a NAR it has written to a temporary file back into memory
// before it sends it, which it does not do for a file:// cache).
//
//	nullcache HOST:PORT
package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: nullcache HOST:PORT")
		os.Exit(2)
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/nix-cache-info":
			io.WriteString(w, "StoreDir: /nix/store\nWantMassQuery: 1\nPriority: 40\n")
		case r.Method == http.MethodPut:
			if _, err := io.Copy(io.Discard, r.Body); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			w.WriteHeader(http.StatusNoContent)
		default:
			http.NotFound(w, r)
		}
	})
	if err := http.ListenAndServe(os.Args[1], h); err != nil {
		fmt.Fprintln(os.Stderr, "nullcache:", err)
		os.Exit(1)
	}
}
