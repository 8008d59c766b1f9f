package main

import (
	"fmt"
	"sync"
	"testing"
)

// demoTB lets the demo use e2e/faults, whose injections take a testing.TB:
// it prints what a test would log, collects the undo functions, and turns
// Fatal into a panic that run recovers, so the undos still happen.
//
// testing.TB cannot be implemented outside package testing (it has a private
// method), so the interface is embedded, nil: faults only call the methods
// defined here, and any other call panics loudly instead of misbehaving.
type demoTB struct {
	testing.TB

	mu       sync.Mutex
	cleanups []func()
	failed   bool
}

// fatal is the panic value of demoTB.Fatal.
type fatal struct{ msg string }

func (d *demoTB) Name() string { return "demo" }
func (d *demoTB) Helper()      {}

func (d *demoTB) Logf(format string, args ...any) { fmt.Printf("    "+format+"\n", args...) }
func (d *demoTB) Log(args ...any)                 { fmt.Println(append([]any{"   "}, args...)...) }

func (d *demoTB) Errorf(format string, args ...any) {
	d.mu.Lock()
	d.failed = true
	d.mu.Unlock()
	fmt.Printf("demo: error: "+format+"\n", args...)
}

func (d *demoTB) Error(args ...any) { d.Errorf("%s", fmt.Sprint(args...)) }

func (d *demoTB) Fatalf(format string, args ...any) {
	d.Errorf(format, args...)
	panic(fatal{fmt.Sprintf(format, args...)})
}

func (d *demoTB) Fatal(args ...any) { d.Fatalf("%s", fmt.Sprint(args...)) }

func (d *demoTB) Failed() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.failed
}

// Cleanup registers an undo; runCleanups runs them last-in first-out, as testing does.
func (d *demoTB) Cleanup(f func()) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.cleanups = append(d.cleanups, f)
}

func (d *demoTB) runCleanups() {
	for {
		d.mu.Lock()
		if len(d.cleanups) == 0 {
			d.mu.Unlock()
			return
		}
		f := d.cleanups[len(d.cleanups)-1]
		d.cleanups = d.cleanups[:len(d.cleanups)-1]
		d.mu.Unlock()
		d.runOne(f)
	}
}

// runOne runs one undo; a Fatal inside it must not skip the ones after it.
func (d *demoTB) runOne(f func()) {
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(fatal); !ok {
				panic(r)
			}
		}
	}()
	f()
}
