package zcl.apps;

import java.net.InetSocketAddress;
import java.nio.channels.FileChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.StandardOpenOption;

/**
 * java-transferto: the seeds' Java NIO zero-copy sender. Accepts one TCP
 * connection (more with --keep), sends FILE with FileChannel.transferTo to the
 * blocking SocketChannel, looping until every byte is sent, and closes.
 */
public final class TransferTo {
  public static void main(String[] argv) throws Exception {
    Args a = Args.parse("java-transferto", argv);
    try (ServerSocketChannel server = ServerSocketChannel.open()) {
      server.bind(new InetSocketAddress(a.host, a.port));
      Args.ready(((InetSocketAddress) server.getLocalAddress()).getPort());
      do {
        try (SocketChannel sock = server.accept();
            FileChannel file = FileChannel.open(a.file, StandardOpenOption.READ)) {
          long size = file.size();
          long pos = 0;
          while (pos < size) pos += file.transferTo(pos, size - pos, sock);
        }
      } while (a.keep);
    }
  }
}
