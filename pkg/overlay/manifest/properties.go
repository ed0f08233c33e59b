package manifest

import (
	"errors"
	"fmt"

	"github.com/strata-dev/strata/pkg/overlay/sparkvalue"
)

// maxPropertiesBytes bounds a properties file, as maxManifestBytes does a
// manifest.
const maxPropertiesBytes = 16 << 20

// DecodeProperties decodes a Spark properties file (spark-defaults.conf,
// or what spark-submit --properties-file reads) as Spark reads it
// (sparkvalue.ReadProperties: java.util.Properties, escapes and
// continued lines included). A key given twice is an error naming both
// lines, so no setting is dropped silently; so is an empty key.
func DecodeProperties(file string, data []byte) (map[string]string, error) {
	if len(data) > maxPropertiesBytes {
		return nil, fmt.Errorf("%s: file is %d bytes; at most %d are read", file, len(data), maxPropertiesBytes)
	}
	props, err := sparkvalue.ReadProperties(data)
	if perr := (*sparkvalue.PropertiesError)(nil); errors.As(err, &perr) {
		return nil, fmt.Errorf("%s:%d: %w", file, perr.Line, perr.Err)
	} else if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	out := make(map[string]string, len(props))
	seen := make(map[string]int, len(props))
	for _, p := range props {
		if p.Key == "" {
			return nil, fmt.Errorf("%s:%d: a property without a key (value %q)", file, p.Line, p.Value)
		}
		if prev, dup := seen[p.Key]; dup {
			return nil, fmt.Errorf("%s:%d: %s is set again (first on line %d)", file, p.Line, p.Key, prev)
		}
		seen[p.Key] = p.Line
		out[p.Key] = p.Value
	}
	return out, nil
}
