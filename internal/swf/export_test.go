package swf

import "time"

// SetTimeout changes how long w waits for its JVM's answer (WarmTimeout by default).
func (w *Warm) SetTimeout(d time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.timeout = d
}
