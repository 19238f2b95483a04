package fsio

import "time"

// SetRacyWindow lets tests remember files they just wrote.
func SetRacyWindow(d time.Duration) (restore func()) {
	old := racyWindow
	racyWindow = d
	return func() { racyWindow = old }
}
