package dev.duet.admin;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.timeout.ReadTimeoutHandler;
import io.netty.util.concurrent.DefaultThreadFactory;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The admin HTTP endpoint of a server process, on its own small event loop, loopback by default:
 * {@code GET /health}, {@code GET /ready} (200 or 503), {@code GET /status} (JSON), {@code GET /metrics}
 * (Prometheus text) and {@code POST /drain} (202). Requests are small and bounded: 8 KiB, 10 s.
 *
 * <h3>Who may do what</h3>
 * Reading needs nothing (bind the endpoint where only operators and probes reach it). {@code POST /drain} needs the
 * {@link AdminToken} as {@code Authorization: Bearer …} (401 without it) and {@code Content-Type: application/json}
 * (415 otherwise). A request carrying {@code Origin} comes from a web page and is refused (403) whatever it asks: a
 * page can send a cross-origin {@code text/plain} POST without a preflight, but neither an {@code application/json}
 * one nor one without {@code Origin}.
 */
public final class AdminServer implements AutoCloseable {
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("duet-admin", true),
            NioIoHandler.newFactory());
    private final Channel listener;

    private AdminServer(AdminTarget target, ServerMeters meters, AdminToken token, String bind, int port)
            throws InterruptedException {
        listener = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new ReadTimeoutHandler(10, TimeUnit.SECONDS), new HttpServerCodec(),
                                new HttpObjectAggregator(8192), new Routes(target, meters, token));
                    }
                }).bind(bind, port).sync().channel();
    }

    public static AdminServer start(AdminTarget target, ServerMeters meters, AdminToken token, String bind, int port)
            throws InterruptedException {
        return new AdminServer(target, meters, token, bind, port);
    }

    public int port() {
        return ((InetSocketAddress) listener.localAddress()).getPort();
    }

    @Override
    public void close() {
        listener.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }

    private static final class Routes extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final AdminTarget target;
        private final ServerMeters meters;
        private final AdminToken token;

        Routes(AdminTarget target, ServerMeters meters, AdminToken token) {
            this.target = target;
            this.meters = meters;
            this.token = token;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            String path = request.uri().split("\\?", 2)[0];
            HttpMethod method = request.method();
            FullHttpResponse response;
            if (request.headers().contains(HttpHeaderNames.ORIGIN)) {
                response = text(HttpResponseStatus.FORBIDDEN, "cross-origin requests are refused\n", "text/plain");
            } else if (method.equals(HttpMethod.GET) && path.equals("/health")) {
                response = text(target.isHealthy() ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE,
                        target.isHealthy() ? "ok\n" : "unhealthy\n", "text/plain");
            } else if (method.equals(HttpMethod.GET) && path.equals("/ready")) {
                boolean ready = target.isReady();
                response = text(ready ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE,
                        ready ? "ready\n" : (target.isDraining() ? "draining\n" : "not ready\n"), "text/plain");
            } else if (method.equals(HttpMethod.GET) && path.equals("/status")) {
                response = text(HttpResponseStatus.OK, Json.write(target.status()) + "\n", "application/json");
            } else if (method.equals(HttpMethod.GET) && path.equals("/metrics")) {
                response = text(HttpResponseStatus.OK, meters.scrape(), "text/plain; version=0.0.4; charset=utf-8");
            } else if (method.equals(HttpMethod.POST) && path.equals("/drain")) {
                response = drain(request);
            } else {
                response = text(HttpResponseStatus.NOT_FOUND, "GET /health /ready /status /metrics, POST /drain\n",
                        "text/plain");
            }
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
        }

        private FullHttpResponse drain(FullHttpRequest request) {
            if (!token.isConfigured()) {
                return text(HttpResponseStatus.FORBIDDEN, "no admin token configured (admin-token-file): drain with "
                        + "SIGTERM or the MBean\n", "text/plain");
            }
            if (!token.admits(Optional.ofNullable(request.headers().get(HttpHeaderNames.AUTHORIZATION)))) {
                FullHttpResponse refused = text(HttpResponseStatus.UNAUTHORIZED, "admin token required\n",
                        "text/plain");
                refused.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer");
                return refused;
            }
            String type = request.headers().get(HttpHeaderNames.CONTENT_TYPE, "");
            if (!type.toLowerCase(Locale.ROOT).startsWith("application/json")) {
                return text(HttpResponseStatus.UNSUPPORTED_MEDIA_TYPE, "Content-Type must be application/json\n",
                        "text/plain");
            }
            DrainTrigger.start(target);
            return text(HttpResponseStatus.ACCEPTED, "draining\n", "text/plain");
        }

        private static FullHttpResponse text(HttpResponseStatus status, String body, String type) {
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                    Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, type)
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, response.content().readableBytes())
                    .set(HttpHeaderNames.CONNECTION, "close");
            return response;
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
