package notify

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// fakeRunner records runs; each takes the virtual time in its Timeout
// field's place (Argv[1] as a duration).
type fakeRunner struct {
	mu      sync.Mutex
	order   map[string][]string // key -> argv[0] in run order
	running map[string]int
	overlap []string
	maxPar  int
	par     int
	block   chan struct{} // if set, runs wait for it
}

func newFakeRunner() *fakeRunner {
	return &fakeRunner{order: map[string][]string{}, running: map[string]int{}}
}

func (f *fakeRunner) Run(ctx context.Context, c Command) Result {
	key := c.Name
	f.mu.Lock()
	f.running[key]++
	if f.running[key] > 1 {
		f.overlap = append(f.overlap, key)
	}
	f.par++
	f.maxPar = max(f.maxPar, f.par)
	f.order[key] = append(f.order[key], c.Argv[0])
	f.mu.Unlock()
	if f.block != nil {
		select {
		case <-f.block:
		case <-ctx.Done():
		}
	}
	d, _ := time.ParseDuration(c.Argv[1])
	select {
	case <-time.After(d):
	case <-ctx.Done():
	}
	f.mu.Lock()
	f.running[key]--
	f.par--
	f.mu.Unlock()
	return Result{}
}

// TestQueueOrderUnderLoad: many submitters, many keys, uneven run times:
// per key the runs keep submission order and never overlap; keys run in
// parallel; Submit takes no time.
func TestQueueOrderUnderLoad(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fr := newFakeRunner()
		log, _ := quietLogger(t)
		q := NewQueue(t.Context(), QueueOptions{Runner: fr, Logger: log, Limit: 1000})
		const keys, per = 20, 50
		var wg sync.WaitGroup
		start := time.Now()
		for k := range keys {
			wg.Add(1)
			go func() {
				defer wg.Done()
				key := "VI_" + strconv.Itoa(k)
				for i := range per {
					d := time.Duration((k*7+i*13)%23) * time.Millisecond
					if !q.Submit(key, Command{Name: key, Argv: []string{strconv.Itoa(i), d.String()}}) {
						t.Errorf("Submit refused")
					}
				}
			}()
		}
		wg.Wait()
		if time.Since(start) != 0 {
			t.Errorf("Submit took %v of virtual time", time.Since(start))
		}
		if err := q.Drain(t.Context()); err != nil {
			t.Fatal(err)
		}
		if len(fr.overlap) > 0 {
			t.Errorf("runs of one key overlapped: %v", fr.overlap[:min(5, len(fr.overlap))])
		}
		if fr.maxPar < 2 {
			t.Errorf("keys did not run in parallel (max %d)", fr.maxPar)
		}
		for k := range keys {
			key := "VI_" + strconv.Itoa(k)
			got := fr.order[key]
			if len(got) != per {
				t.Fatalf("%s ran %d of %d", key, len(got), per)
			}
			for i, a := range got {
				if a != strconv.Itoa(i) {
					t.Fatalf("%s ran out of order: %v", key, got)
				}
			}
		}
		if s := q.Stats(); s.Submitted != keys*per || s.Ran != keys*per || s.Dropped != 0 {
			t.Errorf("stats %+v", s)
		}
	})
}

// TestQueueNeverBlocks: a script that hangs holds up only its own key;
// the caller is never delayed, a full backlog drops and counts, and Close
// ends the hanging run.
func TestQueueNeverBlocks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fr := newFakeRunner()
		fr.block = make(chan struct{})
		log, _ := quietLogger(t)
		q := NewQueue(t.Context(), QueueOptions{Runner: fr, Logger: log, Limit: 3})
		start := time.Now()
		q.Submit("VI_1", Command{Name: "VI_1", Argv: []string{"first", "1s"}})
		synctest.Wait() // it is running now
		for i := range 9 {
			q.Submit("VI_1", Command{Name: "VI_1", Argv: []string{strconv.Itoa(i), "1s"}})
		}
		if time.Since(start) != 0 {
			t.Fatal("Submit waited")
		}
		synctest.Wait()
		// One running, three waiting, six dropped.
		if s := q.Stats(); s.Submitted != 4 || s.Dropped != 6 {
			t.Errorf("stats %+v, want 4 submitted 6 dropped", s)
		}
		if err := q.Close(t.Context()); err != nil {
			t.Fatal(err)
		}
		if s := q.Stats(); s.Ran != 1 || s.Dropped != 9 {
			t.Errorf("after Close %+v, want 1 ran and the 3 waiting dropped", s)
		}
		if q.Submit("VI_1", Command{Name: "VI_1", Argv: []string{"x", "1s"}}) {
			t.Error("a closed queue accepted a command")
		}
	})
}
