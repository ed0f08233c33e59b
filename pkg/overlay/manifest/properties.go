package manifest

import (
	"fmt"
	"strings"
)

// maxPropertiesBytes bounds a properties file, as maxManifestBytes does a
// manifest.
const maxPropertiesBytes = 16 << 20

// DecodeProperties decodes a Spark properties file (spark-defaults.conf,
// or what spark-submit --properties-file reads): one key and value per
// line, separated by the first '=', ':' or whitespace; blank lines and
// lines starting with '#' or '!' are skipped; a line ending in a backslash
// continues on the next. A key given twice is an error naming both lines,
// so no setting is dropped silently.
func DecodeProperties(file string, data []byte) (map[string]string, error) {
	if len(data) > maxPropertiesBytes {
		return nil, fmt.Errorf("%s: file is %d bytes; at most %d are read", file, len(data), maxPropertiesBytes)
	}
	out := map[string]string{}
	seen := map[string]int{}
	lines := strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n")
	for i := 0; i < len(lines); i++ {
		start := i + 1
		line := strings.TrimLeft(lines[i], " \t\f")
		if line == "" || line[0] == '#' || line[0] == '!' {
			continue
		}
		for strings.HasSuffix(line, `\`) && !strings.HasSuffix(line, `\\`) && i+1 < len(lines) {
			i++
			line = strings.TrimSuffix(line, `\`) + strings.TrimLeft(lines[i], " \t\f")
		}
		key, value := line, ""
		if end := strings.IndexAny(line, "=: \t\f"); end >= 0 {
			key = line[:end]
			rest := line[end:]
			if rest[0] == '=' || rest[0] == ':' {
				rest = rest[1:]
			} else if rest = strings.TrimLeft(rest, " \t\f"); rest != "" && (rest[0] == '=' || rest[0] == ':') {
				rest = rest[1:] // key = value
			}
			value = strings.TrimSpace(rest)
		}
		if key == "" {
			return nil, fmt.Errorf("%s:%d: a property without a key: %q", file, start, lines[start-1])
		}
		if prev, dup := seen[key]; dup {
			return nil, fmt.Errorf("%s:%d: %s is set again (first on line %d)", file, start, key, prev)
		}
		seen[key] = start
		out[key] = value
	}
	return out, nil
}
