package report

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// lineWidth is the width the human output is laid out for: readable in a
// 120-column terminal and in CI logs.
const lineWidth = 120

// ellipsize cuts s to at most n runes, marking the cut with "…".
func ellipsize(s string, n int) string {
	if n <= 0 || utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// wrap breaks text into lines of at most width runes (words longer than a line
// stay whole), the first prefixed by first and the rest by rest.
func wrap(text string, width int, first, rest string) []string {
	var lines []string
	var line strings.Builder
	line.WriteString(first)
	used, words := utf8.RuneCountInString(first), 0
	for _, word := range strings.Fields(text) {
		n := utf8.RuneCountInString(word)
		if words > 0 && used+1+n > width {
			lines = append(lines, line.String())
			line.Reset()
			line.WriteString(rest)
			used, words = utf8.RuneCountInString(rest), 0
		}
		if words > 0 {
			line.WriteByte(' ')
			used++
		}
		line.WriteString(word)
		used += n
		words++
	}
	return append(lines, line.String())
}

// duration renders milliseconds the way kubectl renders ages: short and exact enough.
func duration(ms float64) string {
	switch {
	case ms <= 0:
		return "-"
	case ms < 10:
		return fmt.Sprintf("%.1fms", ms)
	case ms < 1000:
		return fmt.Sprintf("%.0fms", ms)
	case ms < 60000:
		return fmt.Sprintf("%.1fs", ms/1000)
	}
	return fmt.Sprintf("%.0fm%02.0fs", float64(int(ms/60000)), float64(int(ms/1000)%60))
}
