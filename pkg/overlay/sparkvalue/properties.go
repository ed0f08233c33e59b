package sparkvalue

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Property is one entry of a properties file: its key and value as Spark
// reads them, and the line the entry starts on.
type Property struct {
	Key, Value string
	Line       int
}

// ReadProperties reads a properties file (spark-defaults.conf, or what
// spark-submit --properties-file names) as Spark does: java.util.Properties
// load of the file read as UTF-8, then each value trimmed of what
// String.trim removes but line breaks (Spark's Utils.trimExceptCRLF).
// That is: lines end at \n, \r or \r\n; blank lines and lines whose first
// character but spaces, tabs and form feeds is '#' or '!' are skipped; a
// line ending in an odd number of backslashes goes on on the next line,
// whose leading whitespace is dropped; the key ends at the first '=', ':',
// space, tab or form feed not escaped, and the value starts after it and
// the whitespace around one '=' or ':'; in both, \uXXXX is that UTF-16
// unit, \t, \n, \r and \f are those characters, and a backslash before any
// other character is that character. A malformed \u escape, where Java
// would refuse the file, is a *PropertiesError naming its line.
// Duplicates are left to the caller: the entries are in the file's order.
func ReadProperties(data []byte) ([]Property, error) {
	r := lineReader{text: strings.ToValidUTF8(string(data), string(utf8.RuneError))}
	r.lines = lineStarts(r.text)
	var out []Property
	for {
		line, start, ok := r.next()
		if !ok {
			return out, nil
		}
		rawKey, rawValue := splitEntry(line)
		key, err := unescapeProperty(rawKey)
		if err != nil {
			return nil, &PropertiesError{Line: start, Err: fmt.Errorf("key: %w", err)}
		}
		value, err := unescapeProperty(rawValue)
		if err != nil {
			return nil, &PropertiesError{Line: start, Err: fmt.Errorf("value of %s: %w", key, err)}
		}
		out = append(out, Property{Key: key, Value: trimExceptCRLF(value), Line: start})
	}
}

// lineReader reads the logical lines of a properties file, a port of
// java.util.Properties.LineReader.readLine over the whole file at once,
// so its quirks are Spark's too: a line that a continuation leaves empty
// is skipped (or read as a comment when what follows starts with '#' or
// '!'), and one left empty at the end of the file by a backslash and a
// line feed is an entry of an empty key.
type lineReader struct {
	text   string
	off    int
	skipLF bool
	lines  []int // where each natural line starts
}

// next returns the next logical line, still escaped, and the line of the
// file it starts on; ok is false at the end of the file.
func (r *lineReader) next() (line string, start int, ok bool) {
	var buf []byte
	skipWhiteSpace, appendedLineBegin, precedingBackslash := true, false, false
	startOff := -1
	for {
		if r.off >= len(r.text) {
			if len(buf) == 0 {
				return "", 0, false
			}
			if precedingBackslash {
				buf = buf[:len(buf)-1]
			}
			return string(buf), r.lineOf(startOff), true
		}
		c := r.text[r.off]
		r.off++
		if r.skipLF {
			r.skipLF = false
			if c == '\n' {
				continue
			}
		}
		if skipWhiteSpace {
			if c == ' ' || c == '\t' || c == '\f' || !appendedLineBegin && (c == '\r' || c == '\n') {
				continue
			}
			skipWhiteSpace, appendedLineBegin = false, false
		}
		if len(buf) == 0 && (c == '#' || c == '!') {
			// A comment, to the end of its line.
			for r.off < len(r.text) && r.text[r.off] != '\r' && r.text[r.off] != '\n' {
				r.off++
			}
			if r.off == len(r.text) {
				return "", 0, false
			}
			r.off++
			skipWhiteSpace = true
			continue
		}
		if c != '\n' && c != '\r' {
			if startOff < 0 {
				startOff = r.off - 1
			}
			buf = append(buf, c)
			precedingBackslash = c == '\\' && !precedingBackslash
			continue
		}
		// The end of a natural line.
		if len(buf) == 0 {
			skipWhiteSpace = true
			continue
		}
		if r.off >= len(r.text) {
			if precedingBackslash {
				buf = buf[:len(buf)-1]
			}
			return string(buf), r.lineOf(startOff), true
		}
		if !precedingBackslash {
			return string(buf), r.lineOf(startOff), true
		}
		// A backslash at the end of the line continues it on the next,
		// whose leading whitespace is skipped.
		buf = buf[:len(buf)-1]
		if len(buf) == 0 {
			startOff = -1 // the line starts where it goes on
		}
		skipWhiteSpace, appendedLineBegin, precedingBackslash = true, true, false
		r.skipLF = c == '\r'
	}
}

// lineStarts is where each natural line of text starts (lines end at \n,
// \r or \r\n).
func lineStarts(text string) []int {
	starts := []int{0}
	for i := 0; i < len(text); i++ {
		switch {
		case text[i] == '\r' && i+1 < len(text) && text[i+1] == '\n':
			i++
			starts = append(starts, i+1)
		case text[i] == '\r' || text[i] == '\n':
			starts = append(starts, i+1)
		}
	}
	return starts
}

// lineOf is the line of the file that off is on, counted from 1.
func (r *lineReader) lineOf(off int) int {
	line, _ := slices.BinarySearch(r.lines, off+1)
	return line
}

// PropertiesError is an entry of a properties file Java would refuse.
type PropertiesError struct {
	// Line is the line the entry starts on.
	Line int
	// Err says what is wrong with it.
	Err error
}

// Error names the line.
func (e *PropertiesError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }

// Unwrap is what is wrong with the entry.
func (e *PropertiesError) Unwrap() error { return e.Err }

// PropertiesLine is key and value as one line of a properties file, which
// ReadProperties (and so Spark) reads back as key and value: backslashes,
// tabs, line breaks, form feeds and other control characters escaped, and
// in the key spaces, '=', ':', '#' and '!', in the value a leading space.
// What Spark trims off a value it reads (surrounding whitespace but line
// breaks) it trims off this one too; nothing else is lost.
func PropertiesLine(key, value string) string {
	var b strings.Builder
	b.Grow(len(key) + len(value) + 1)
	escapeProperty(&b, key, true)
	b.WriteByte('=')
	escapeProperty(&b, value, false)
	return b.String()
}

func escapeProperty(b *strings.Builder, s string, key bool) {
	for i, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\f':
			b.WriteString(`\f`)
		case r == ' ' && (key || i == 0), key && strings.ContainsRune("=:#!", r):
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < ' ' || r == 0x7f:
			fmt.Fprintf(b, `\u%04X`, r)
		default:
			b.WriteRune(r)
		}
	}
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' || c == '\f' }

// splitEntry splits a logical line into its key and value, both still
// escaped (Properties.load0).
func splitEntry(line string) (key, value string) {
	keyLen, valueStart, hasSep, escaped := 0, len(line), false, false
	for ; keyLen < len(line); keyLen++ {
		c := line[keyLen]
		if !escaped && (c == '=' || c == ':') {
			valueStart, hasSep = keyLen+1, true
			break
		}
		if !escaped && isBlank(c) {
			valueStart = keyLen + 1
			break
		}
		escaped = c == '\\' && !escaped
	}
	for ; valueStart < len(line); valueStart++ {
		c := line[valueStart]
		if isBlank(c) {
			continue
		}
		if hasSep || (c != '=' && c != ':') {
			break
		}
		hasSep = true
	}
	return line[:keyLen], line[valueStart:]
}

// unescapeProperty reads the escapes of a key or value
// (Properties.loadConvert), pairing the UTF-16 surrogates of consecutive
// \u escapes into one character; an unpaired one reads as '?', as Java
// writes it in UTF-8.
func unescapeProperty(s string) (string, error) {
	if !strings.Contains(s, `\`) {
		return s, nil
	}
	var b strings.Builder
	b.Grow(len(s))
	var high rune // a high surrogate waiting for its pair
	flush := func() {
		if high != 0 {
			b.WriteByte('?')
			high = 0
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 == len(s) {
			flush()
			b.WriteByte(c)
			continue
		}
		i++
		if s[i] != 'u' {
			flush()
			b.WriteByte(unescapedByte(s[i]))
			continue
		}
		unit, ok := hex4(s[i+1:])
		if !ok {
			return "", fmt.Errorf(`malformed \uxxxx escape %q`, s[i-1:min(i+5, len(s))])
		}
		i += 4
		r := rune(unit)
		switch {
		case utf16.IsSurrogate(r) && r < 0xdc00:
			flush()
			high = r
		case utf16.IsSurrogate(r) && high != 0:
			b.WriteRune(utf16.DecodeRune(high, r))
			high = 0
		default:
			flush()
			if utf16.IsSurrogate(r) {
				r = '?'
			}
			b.WriteRune(r)
		}
	}
	flush()
	return b.String(), nil
}

// unescapedByte is what a backslash before c stands for.
func unescapedByte(c byte) byte {
	switch c {
	case 't':
		return '\t'
	case 'n':
		return '\n'
	case 'r':
		return '\r'
	case 'f':
		return '\f'
	}
	return c
}

// hex4 reads the four hexadecimal digits s starts with.
func hex4(s string) (uint16, bool) {
	if len(s) < 4 {
		return 0, false
	}
	var n uint16
	for _, c := range []byte(s[:4]) {
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = c - '0'
		case c >= 'a' && c <= 'f':
			d = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, false
		}
		n = n<<4 | uint16(d)
	}
	return n, true
}

// trimExceptCRLF is Spark's Utils.trimExceptCRLF: String.trim, which drops
// every leading and trailing character up to ' ', but \r and \n, which
// only an escape puts in a value.
func trimExceptCRLF(s string) string {
	drop := func(r rune) bool { return r <= ' ' && r != '\r' && r != '\n' }
	return strings.TrimRightFunc(strings.TrimLeftFunc(s, drop), drop)
}
