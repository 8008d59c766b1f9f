package bpf

import (
	"fmt"

	xbpf "golang.org/x/net/bpf"
)

// assembler emits classic BPF with symbolic forward jumps. cBPF jumps are relative
// and forward only; conditional ones reach at most 255 instructions, so the
// program is laid out as short blocks that fall through to the next one, and far
// exits use an unconditional jump (32-bit offset) to a shared label.
type assembler struct {
	prog   []xbpf.Instruction
	labels map[string]int
	fixups []fixup
	seq    int
}

// fixup is a jump whose targets are labels, resolved once every label is placed.
type fixup struct {
	at          int
	ifTrue      string // "" falls through to the next instruction
	ifFalse     string
	conditional bool
}

func newAssembler() *assembler { return &assembler{labels: map[string]int{}} }

// newLabel returns a fresh label name with a readable prefix.
func (a *assembler) newLabel(prefix string) string {
	a.seq++
	return fmt.Sprintf("%s#%d", prefix, a.seq)
}

func (a *assembler) emit(ins ...xbpf.Instruction) { a.prog = append(a.prog, ins...) }

// place binds label to the next instruction.
func (a *assembler) place(label string) { a.labels[label] = len(a.prog) }

// jumpIf branches on A <cond> val: to ifTrue or ifFalse ("" = next instruction).
func (a *assembler) jumpIf(cond xbpf.JumpTest, val uint32, ifTrue, ifFalse string) {
	a.fixups = append(a.fixups, fixup{at: len(a.prog), ifTrue: ifTrue, ifFalse: ifFalse, conditional: true})
	a.emit(xbpf.JumpIf{Cond: cond, Val: val})
}

// require continues only when A <cond> val holds and otherwise jumps to label,
// however far: a conditional skip over an unconditional jump.
func (a *assembler) require(cond xbpf.JumpTest, val uint32, label string) {
	a.emit(xbpf.JumpIf{Cond: cond, Val: val, SkipTrue: 1})
	a.jump(label)
}

// jump is an unconditional jump to label.
func (a *assembler) jump(label string) {
	a.fixups = append(a.fixups, fixup{at: len(a.prog), ifTrue: label})
	a.emit(xbpf.Jump{})
}

// resolve replaces every symbolic jump by its relative offset.
func (a *assembler) resolve() ([]xbpf.Instruction, error) {
	skip := func(from int, label string) (uint32, error) {
		if label == "" {
			return 0, nil
		}
		to, ok := a.labels[label]
		if !ok {
			return 0, fmt.Errorf("bpf: jump to undefined label %s", label)
		}
		if to <= from {
			return 0, fmt.Errorf("bpf: backward jump to %s", label)
		}
		return uint32(to - from - 1), nil
	}
	for _, f := range a.fixups {
		t, err := skip(f.at, f.ifTrue)
		if err != nil {
			return nil, err
		}
		if !f.conditional {
			a.prog[f.at] = xbpf.Jump{Skip: t}
			continue
		}
		e, err := skip(f.at, f.ifFalse)
		if err != nil {
			return nil, err
		}
		if t > 255 || e > 255 {
			return nil, fmt.Errorf("bpf: conditional jump at %d too far (%d/%d)", f.at, t, e)
		}
		ji := a.prog[f.at].(xbpf.JumpIf)
		ji.SkipTrue, ji.SkipFalse = uint8(t), uint8(e)
		a.prog[f.at] = ji
	}
	return a.prog, nil
}
