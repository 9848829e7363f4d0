package compile

import (
	"runtime"
	"sync"

	"github.com/shypecim/shypecim/mof"
)

// loader reads and parses files on worker goroutines, in the order they were asked
// for, so that parsing runs ahead of the semantic pass.
type loader struct {
	fset     *mof.FileSet
	readFile func(string) ([]byte, error)

	mu      sync.Mutex
	cond    *sync.Cond
	files   map[string]*parsed
	queue   []*parsed
	closed  bool
	workers int
}

type parsed struct {
	name    string
	done    chan struct{}
	file    *mof.File
	readErr error
	synErr  error
}

func newLoader(fset *mof.FileSet, readFile func(string) ([]byte, error)) *loader {
	l := &loader{fset: fset, readFile: readFile, files: map[string]*parsed{}}
	l.cond = sync.NewCond(&l.mu)
	return l
}

// request schedules name for parsing (once) and returns its handle.
func (l *loader) request(name string) *parsed {
	l.mu.Lock()
	defer l.mu.Unlock()
	if p, ok := l.files[name]; ok {
		return p
	}
	p := &parsed{name: name, done: make(chan struct{})}
	l.files[name] = p
	l.queue = append(l.queue, p)
	if l.workers < runtime.GOMAXPROCS(0) {
		l.workers++
		go l.work()
	}
	l.cond.Signal()
	return p
}

func (l *loader) work() {
	for {
		l.mu.Lock()
		for len(l.queue) == 0 && !l.closed {
			l.cond.Wait()
		}
		if len(l.queue) == 0 {
			l.workers--
			l.mu.Unlock()
			return
		}
		p := l.queue[0]
		l.queue = l.queue[1:]
		l.mu.Unlock()
		l.parse(p)
	}
}

func (l *loader) parse(p *parsed) {
	defer close(p.done)
	src, err := l.readFile(p.name)
	if err != nil {
		p.readErr = err
		return
	}
	p.file, p.synErr = mof.ParseFile(l.fset, p.name, string(src))
	// Ask for the included files now, so they parse while this one is compiled.
	for _, d := range p.file.Decls {
		if pr, ok := d.(*mof.Pragma); ok && equalFold(pr.Name, "include") {
			l.request(joinPath(p.name, pr.Value))
		}
	}
}

// close stops the workers once the queue is empty.
func (l *loader) close() {
	l.mu.Lock()
	l.closed = true
	l.cond.Broadcast()
	l.mu.Unlock()
}
