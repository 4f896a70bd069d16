package zcl.apps;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.DefaultFileRegion;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.net.InetSocketAddress;
import java.util.concurrent.CountDownLatch;

/**
 * netty-fileregion: a Netty server that writes FILE to each connection as one
 * DefaultFileRegion (Netty's zero-copy file send), then closes it. One boss
 * and one worker event loop thread. --transport nio (default) or epoll (the
 * native transport; needs its JNI library, which Debian's libnetty-java does
 * not ship: the app then exits 3 and says why).
 */
public final class NettyFileRegion {
  public static void main(String[] argv) throws Exception {
    Args a = Args.parse("netty-fileregion", argv);
    EventLoopGroup boss;
    EventLoopGroup worker;
    Class<? extends ServerChannel> channel;
    if (a.transport.equals("epoll")) {
      if (!Epoll.isAvailable()) {
        System.err.println("netty-fileregion: the epoll transport is not available: " + Epoll.unavailabilityCause());
        System.exit(3);
      }
      boss = new EpollEventLoopGroup(1);
      worker = new EpollEventLoopGroup(1);
      channel = EpollServerSocketChannel.class;
    } else {
      boss = new NioEventLoopGroup(1);
      worker = new NioEventLoopGroup(1);
      channel = NioServerSocketChannel.class;
    }
    long size = a.file.toFile().length();
    CountDownLatch served = new CountDownLatch(1);
    try {
      ServerBootstrap b = new ServerBootstrap()
          .group(boss, worker)
          .channel(channel)
          .childHandler(new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
              ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                @Override
                public void channelActive(ChannelHandlerContext ctx) {
                  ctx.writeAndFlush(new DefaultFileRegion(a.file.toFile(), 0, size)).addListener(f -> {
                    if (!f.isSuccess()) System.err.println("netty-fileregion: send failed: " + f.cause());
                    ctx.close();
                    if (!a.keep) served.countDown();
                  });
                }
              });
            }
          });
      Channel server = b.bind(new InetSocketAddress(a.host, a.port)).sync().channel();
      Args.ready(((InetSocketAddress) server.localAddress()).getPort());
      served.await();
      server.close().sync();
    } finally {
      boss.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS);
      worker.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).sync();
    }
  }
}
