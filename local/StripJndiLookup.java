// StripJndiLookup.java - removes JndiLookup.class from a log4j-core jar, in place.
// Apache's documented mitigation of CVE-2021-44228 (Log4Shell) for log4j-core < 2.16, which DynamoDB Local bundles.
// Run as a single-file program: `java StripJndiLookup.java path/to/log4j-core.jar`. Prints "removed" or "absent".
import java.net.URI;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Map;

public class StripJndiLookup {
  public static void main(String[] args) throws Exception {
    if (args.length != 1) {
      System.err.println("usage: java StripJndiLookup.java JAR");
      System.exit(2);
    }
    Path jar = Paths.get(args[0]).toAbsolutePath();
    try (FileSystem fs = FileSystems.newFileSystem(URI.create("jar:" + jar.toUri()), Map.of())) {
      boolean removed = Files.deleteIfExists(fs.getPath("org/apache/logging/log4j/core/lookup/JndiLookup.class"));
      System.out.println(removed ? "removed" : "absent");
    }
  }
}
