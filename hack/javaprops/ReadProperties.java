// ReadProperties reads, on each line of its input, a properties file as hex
// of its UTF-8 bytes, and prints what Spark reads from it
// (Utils.getPropertiesFromFile: java.util.Properties.load over a UTF-8
// reader, each value trimmed by Utils.trimExceptCRLF, written out here as
// Spark 3.5 has it): "error" when load throws, else each key and value as
// hex of their UTF-8 bytes, "key=value", space-separated and sorted by key.
// pkg/overlay/sparkvalue's golden test of ReadProperties is made with it:
//
//	go test ./pkg/overlay/sparkvalue -run TestReadPropertiesAgreesWithJava -java
//
// Run it with a JDK 11 or later: java hack/javaprops/ReadProperties.java
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.Properties;
import java.util.TreeMap;

public class ReadProperties {
  // Utils.trimExceptCRLF.
  static String trimExceptCRLF(String str) {
    int first = 0;
    while (first < str.length() && str.charAt(first) <= ' ' && str.charAt(first) != '\r' && str.charAt(first) != '\n') {
      first++;
    }
    int last = str.length() - 1;
    while (last >= first && str.charAt(last) <= ' ' && str.charAt(last) != '\r' && str.charAt(last) != '\n') {
      last--;
    }
    return str.substring(first, last + 1);
  }

  static String hex(String s) {
    return HexFormat.of().formatHex(s.getBytes(StandardCharsets.UTF_8));
  }

  public static void main(String[] args) throws IOException {
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    StringBuilder out = new StringBuilder();
    for (String line; (line = in.readLine()) != null; ) {
      byte[] file = HexFormat.of().parseHex(line);
      Properties props = new Properties();
      try {
        props.load(new InputStreamReader(new ByteArrayInputStream(file), StandardCharsets.UTF_8));
      } catch (IllegalArgumentException e) {
        out.append("error\n");
        continue;
      }
      TreeMap<String, String> sorted = new TreeMap<>();
      for (String k : props.stringPropertyNames()) {
        sorted.put(hex(k), hex(trimExceptCRLF(props.getProperty(k))));
      }
      StringBuilder entries = new StringBuilder();
      for (var e : sorted.entrySet()) {
        entries.append(entries.length() == 0 ? "" : " ").append(e.getKey()).append('=').append(e.getValue());
      }
      out.append(entries).append('\n');
    }
    System.out.print(out);
  }
}
