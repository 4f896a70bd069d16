package zcl.apps;

import java.io.FileInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;

/**
 * java-stream: what Java code does without NIO. Accepts one TCP connection
 * (more with --keep) and copies FILE through FileInputStream.read(byte[chunk])
 * and the socket's OutputStream.write, then closes.
 */
public final class StreamCopy {
  public static void main(String[] argv) throws Exception {
    Args a = Args.parse("java-stream", argv);
    byte[] buf = new byte[a.chunk];
    try (ServerSocket server = new ServerSocket()) {
      server.bind(new InetSocketAddress(a.host, a.port));
      Args.ready(server.getLocalPort());
      do {
        try (Socket sock = server.accept();
            InputStream in = new FileInputStream(a.file.toFile());
            OutputStream out = sock.getOutputStream()) {
          for (int n; (n = in.read(buf)) > 0; ) out.write(buf, 0, n);
        }
      } while (a.keep);
    }
  }
}
