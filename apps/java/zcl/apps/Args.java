package zcl.apps;

import java.nio.file.Files;
import java.nio.file.Path;

/** The command line every app server takes: HOST PORT FILE [--keep] [--chunk N] [--transport nio|epoll]. */
final class Args {
  final String host;
  final int port;
  final Path file;
  /** Keep serving connections one after another instead of exiting after the first. */
  boolean keep;
  int chunk = 64 * 1024;
  String transport = "nio";

  private Args(String host, int port, Path file) {
    this.host = host;
    this.port = port;
    this.file = file;
  }

  static Args parse(String name, String[] a) {
    if (a.length < 3) usage(name, "HOST PORT FILE are required");
    int port = -1;
    try {
      port = Integer.parseInt(a[1]);
    } catch (NumberFormatException e) {
      // below
    }
    if (port < 0 || port > 65535) usage(name, "PORT must be 0-65535 (0: any free port), not '" + a[1] + "'");
    Args r = new Args(a[0], port, Path.of(a[2]));
    if (!Files.isRegularFile(r.file) || !Files.isReadable(r.file)) usage(name, "FILE '" + a[2] + "' is not a readable regular file");
    for (int i = 3; i < a.length; i++) {
      switch (a[i]) {
        case "--keep" -> r.keep = true;
        case "--chunk" -> {
          if (i + 1 >= a.length) usage(name, "--chunk needs a value");
          try {
            r.chunk = Integer.parseInt(a[++i]);
          } catch (NumberFormatException e) {
            r.chunk = 0;
          }
          if (r.chunk < 1 || r.chunk > (64 << 20)) usage(name, "--chunk must be 1..67108864 bytes, not '" + a[i] + "'");
        }
        case "--transport" -> {
          if (i + 1 >= a.length) usage(name, "--transport needs a value");
          r.transport = a[++i];
          if (!r.transport.equals("nio") && !r.transport.equals("epoll")) usage(name, "--transport must be nio or epoll, not '" + r.transport + "'");
        }
        default -> usage(name, "unknown option '" + a[i] + "'");
      }
    }
    return r;
  }

  static void usage(String name, String why) {
    System.err.println(name + ": " + why);
    System.err.println("usage: " + name + " HOST PORT FILE [--keep] [--chunk N] [--transport nio|epoll]");
    System.exit(2);
  }

  /** The one line the lab waits for: the server is bound and listening. */
  static void ready(int port) {
    System.out.println("listening " + port);
    System.out.flush();
  }
}
