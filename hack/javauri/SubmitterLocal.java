// SubmitterLocal reads, on each line of its input, a string as hex of its
// UTF-8 bytes, and prints the line with Spark's verdict on it: "local" when
// spark-submit, submitting to Kubernetes, reads it from the filesystem
// where it runs (KubernetesUtils.isLocalAndResolvable over
// Utils.resolveURI, written out here as Spark 3.5 has them), "remote" when
// it does not, "error" when resolving it throws. pkg/overlay/sparkvalue's
// golden test of SubmitterLocal is made with it:
//
//	go test ./pkg/overlay/sparkvalue -run TestSubmitterLocalAgreesWithJava -java
//
// Run it with a JDK 11 or later: java hack/javauri/SubmitterLocal.java
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;

public class SubmitterLocal {
  // Utils.resolveURI.
  static URI resolveURI(String path) throws IOException, URISyntaxException {
    try {
      URI uri = new URI(path);
      if (uri.getScheme() != null) {
        return uri;
      }
      if (uri.getFragment() != null) {
        URI absoluteURI = new File(uri.getPath()).getAbsoluteFile().toURI();
        return new URI(absoluteURI.getScheme(), absoluteURI.getHost(), absoluteURI.getPath(), uri.getFragment());
      }
    } catch (URISyntaxException e) {
      // read as a path below
    }
    return new File(path).getCanonicalFile().toURI();
  }

  // KubernetesUtils.isLocalAndResolvable.
  static String verdict(String s) {
    if (s.equals("spark-internal")) {
      return "remote";
    }
    try {
      String scheme = resolveURI(s).getScheme();
      return scheme == null || scheme.equals("file") ? "local" : "remote";
    } catch (Exception e) {
      return "error";
    }
  }

  public static void main(String[] args) throws IOException {
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    StringBuilder out = new StringBuilder();
    for (String line; (line = in.readLine()) != null; ) {
      byte[] b = new byte[line.length() / 2];
      for (int i = 0; i < b.length; i++) {
        b[i] = (byte) Integer.parseInt(line.substring(2 * i, 2 * i + 2), 16);
      }
      out.append(line).append(' ').append(verdict(new String(b, StandardCharsets.UTF_8))).append('\n');
    }
    System.out.print(out);
  }
}
