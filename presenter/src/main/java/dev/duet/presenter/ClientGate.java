package dev.duet.presenter;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * First handler of every client connection, before TLS: admits it only within the connection limits (in total and
 * per source address) and the handshake rate (a token bucket), so a reconnect storm or one noisy address cannot take
 * the presenter's CPU or file descriptors. A refused connection is closed at once and counted; nothing is logged per
 * connection, so a storm cannot flood the log either.
 */
@ChannelHandler.Sharable
final class ClientGate extends ChannelInboundHandlerAdapter {
    private final PresenterConfig config;
    private final PresenterMetrics metrics;
    private final AtomicInteger total = new AtomicInteger();
    private final Map<InetAddress, AtomicInteger> perAddress = new ConcurrentHashMap<>();
    private final HandshakeBucket handshakes;

    ClientGate(PresenterConfig config, PresenterMetrics metrics) {
        this.config = config;
        this.metrics = metrics;
        this.handshakes = new HandshakeBucket(config.handshakesPerSecond());
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        metrics.connectionOpened();
        InetAddress address = ((InetSocketAddress) ctx.channel().remoteAddress()).getAddress();
        int count = total.incrementAndGet();
        int fromAddress = perAddress.computeIfAbsent(address, a -> new AtomicInteger()).incrementAndGet();
        if (count > config.maxConnections()) {
            refuse(ctx, "max_connections");
        } else if (fromAddress > config.maxConnectionsPerAddress()) {
            refuse(ctx, "max_connections_per_address");
        } else if (!handshakes.tryAcquire()) {
            refuse(ctx, "handshake_rate");
        } else {
            ctx.fireChannelActive();
        }
    }

    private void refuse(ChannelHandlerContext ctx, String limit) {
        metrics.limitHit(limit);
        ctx.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        metrics.connectionClosed();
        total.decrementAndGet();
        InetAddress address = ((InetSocketAddress) ctx.channel().remoteAddress()).getAddress();
        perAddress.computeIfPresent(address, (a, n) -> n.decrementAndGet() == 0 ? null : n);
        ctx.fireChannelInactive();
    }

    int connections() {
        return total.get();
    }

    /** New TLS handshakes allowed per second, with a burst of one second's worth. */
    static final class HandshakeBucket {
        private final double perNano;
        private final double capacity;
        private double tokens;
        private long last = System.nanoTime();

        HandshakeBucket(int perSecond) {
            this.perNano = perSecond / 1e9;
            this.capacity = perSecond;
            this.tokens = perSecond;
        }

        synchronized boolean tryAcquire() {
            long now = System.nanoTime();
            tokens = Math.min(capacity, tokens + (now - last) * perNano);
            last = now;
            if (tokens >= 1) {
                tokens -= 1;
                return true;
            }
            return false;
        }
    }
}
