package vtpm

// Crash drops the manager the way a killed process would: the lock goes, the
// running TPMs stay as they are, nothing is written.
func (m *Manager) Crash() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	for _, e := range m.byUUID {
		if e.timer != nil {
			e.timer.Stop()
		}
	}
	m.unlock()
}
