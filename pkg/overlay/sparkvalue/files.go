package sparkvalue

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// NoResource is what spark-submit names an application without a primary
// resource of its own (SparkLauncher.NO_RESOURCE): no file.
const NoResource = "spark-internal"

// Files splits a list of files as Spark reads spark.jars, spark.files,
// spark.submit.pyFiles and spark.archives, and spark-submit its --jars,
// --files, --py-files and --archives (Utils.stringToSeq): at every comma,
// each entry trimmed as Java trims it, empty entries left out.
func Files(list string) []string {
	var out []string
	for _, f := range strings.Split(list, ",") {
		if f = Trim(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// SubmitterLocal reports whether spark-submit, submitting to Kubernetes,
// reads uri from the filesystem where it runs and uploads it for the
// driver (KubernetesUtils.isLocalAndResolvable): what names no scheme or
// the scheme file, and what java.net.URI cannot parse, which Spark takes
// as a path (new File(uri), whose canonical form resolves "..": a URI
// Java refuses may still name any file). local:// (a file of the image)
// and every other scheme are read where the application runs.
//
// It errs on the side of local: a URI counts as remote only when it has
// a scheme and holds nothing java.net.URI refuses anywhere (a character
// outside RFC 2396's, a malformed escape, a second #, an empty part where
// one is required). Brackets, which Java admits around an IPv6 host only,
// count as local wherever they are, and so does the scheme file in any
// case. TestSubmitterLocalAgreesWithJava holds it to Spark's reading (its
// two functions written out in Java, hack/javauri, run by a JVM whose
// java.net.URI parses each string) over 3,000 strings: no string Spark
// reads as local passes as remote.
func SubmitterLocal(uri string) bool {
	if uri == NoResource {
		return false
	}
	// A scheme is what comes before the first colon, when no /, ? or #
	// comes before it (java.net.URI.Parser.parse).
	i := strings.IndexAny(uri, ":/?#")
	if i <= 0 || uri[i] != ':' || !isScheme(uri[:i]) || strings.EqualFold(uri[:i], "file") {
		return true
	}
	rest := uri[i+1:]
	switch {
	case rest == "" || rest[0] == '#' || rest == "//":
		// No scheme-specific part, or an empty authority with nothing
		// after it: Java refuses both.
		return true
	case strings.Count(rest, "#") > 1:
		return true
	}
	return !uriChars(rest)
}

// isScheme reports whether s is a scheme as RFC 2396 spells one: a letter,
// then letters, digits, +, - and . (ASCII only).
func isScheme(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		letter := 'a' <= c|0x20 && c|0x20 <= 'z'
		other := i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.')
		if !letter && !other {
			return false
		}
	}
	return s != ""
}

// uriChars reports whether every character of s is one java.net.URI
// admits in some part of a URI other than an IPv6 host: RFC 2396's
// unreserved and reserved characters (brackets aside), # (its count is
// checked apart), escapes of two hex digits, and the characters beyond
// ASCII Java admits unescaped (neither a space character nor a control
// character, Character.isSpaceChar and isISOControl).
func uriChars(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 || r <= 0x9f || unicode.In(r, unicode.Zs, unicode.Zl, unicode.Zp) {
				return false
			}
			i += size
			continue
		}
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', strings.IndexByte("-_.!~*'();/?:@&=+$,#", c) >= 0:
			i++
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			i += 3
		default:
			return false
		}
	}
	return true
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c|0x20 && c|0x20 <= 'f'
}
