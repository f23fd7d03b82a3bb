package dev.duet.presenter;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * First handler of every client connection, before TLS: admits it only within the connection limits (in total and
 * per source address) and the handshake rates (token buckets, in total and per source address), so a reconnect storm
 * or one noisy address cannot take the presenter's CPU or file descriptors. A handshake is charged when its first
 * bytes (the ClientHello) arrive, not at accept: a connection that is opened and reset costs no handshake and takes
 * none from anyone. A refused connection is closed at once and counted; nothing is logged per connection, so a storm
 * cannot flood the log either. Once the handshake is charged the gate leaves the connection's pipeline; the
 * connection's close gives its count back.
 */
@ChannelHandler.Sharable
final class ClientGate extends ChannelInboundHandlerAdapter {
    private final PresenterConfig config;
    private final PresenterMetrics metrics;
    private final AtomicInteger total = new AtomicInteger();
    private final Map<InetAddress, Source> sources = new ConcurrentHashMap<>();
    private final HandshakeBucket handshakes;

    /** What one source address holds: its open connections and its own handshake bucket. */
    private static final class Source {
        final AtomicInteger connections = new AtomicInteger();
        final HandshakeBucket handshakes;

        Source(int perSecond) {
            handshakes = new HandshakeBucket(perSecond);
        }
    }

    /** One listener for every connection's close: nothing allocated per connection for it. */
    private final ChannelFutureListener release = closed -> released(
            ((InetSocketAddress) closed.channel().remoteAddress()).getAddress());

    ClientGate(PresenterConfig config, PresenterMetrics metrics) {
        this.config = config;
        this.metrics = metrics;
        this.handshakes = new HandshakeBucket(config.handshakesPerSecond());
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        metrics.connectionOpened();
        int count = total.incrementAndGet();
        int[] fromAddress = new int[1];
        InetAddress address = address(ctx);
        // Counted inside compute: a sweep or a close elsewhere cannot drop the source between lookup and count.
        sources.compute(address, (a, source) -> {
            Source counted = source != null ? source : new Source(config.handshakesPerSecondPerAddress());
            fromAddress[0] = counted.connections.incrementAndGet();
            return counted;
        });
        // The channel keeps its remote address once asked (address() above), also after it closed.
        ctx.channel().closeFuture().addListener(release);
        if (count > config.maxConnections()) {
            refuse(ctx, "max_connections");
        } else if (fromAddress[0] > config.maxConnectionsPerAddress()) {
            refuse(ctx, "max_connections_per_address");
        } else {
            ctx.fireChannelActive();
        }
    }

    /** This connection's source: counted in {@link #channelActive}, so present until the connection closes. */
    private Source source(ChannelHandlerContext ctx) {
        return sources.computeIfAbsent(address(ctx), a -> new Source(config.handshakesPerSecondPerAddress()));
    }

    private static InetAddress address(ChannelHandlerContext ctx) {
        return ((InetSocketAddress) ctx.channel().remoteAddress()).getAddress();
    }

    /**
     * The first bytes of a connection are its ClientHello: the handshake is charged now, and the gate, done with the
     * connection, leaves its pipeline.
     */
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        // Both buckets are asked in turn: a source over its own rate takes nothing from the others' shared one.
        if (!source(ctx).handshakes.tryAcquire()) {
            ReferenceCountUtil.release(msg);
            refuse(ctx, "handshake_rate_per_address");
            return;
        }
        if (!handshakes.tryAcquire()) {
            ReferenceCountUtil.release(msg);
            refuse(ctx, "handshake_rate");
            return;
        }
        ctx.pipeline().remove(this);
        ctx.fireChannelRead(msg);
    }

    private void refuse(ChannelHandlerContext ctx, String limit) {
        metrics.limitHit(limit);
        ctx.close();
    }

    /** A connection from {@code address} closed: what {@link #channelActive} counted is given back. */
    private void released(InetAddress address) {
        metrics.connectionClosed();
        total.decrementAndGet();
        sources.computeIfPresent(address, (a, source) -> {
            // Kept while its bucket is still refilling, so closing connections does not reset an address's rate.
            return source.connections.decrementAndGet() == 0 && source.handshakes.isFull() ? null : source;
        });
    }

    /** Forgets addresses with no connection whose bucket has refilled; run now and then. */
    void sweep() {
        for (InetAddress address : sources.keySet()) {
            sources.computeIfPresent(address, (a, source) -> source.connections.get() == 0
                    && source.handshakes.isFull() ? null : source);
        }
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
            refill();
            if (tokens >= 1) {
                tokens -= 1;
                return true;
            }
            return false;
        }

        synchronized boolean isFull() {
            refill();
            return tokens >= capacity;
        }

        private void refill() {
            long now = System.nanoTime();
            tokens = Math.min(capacity, tokens + (now - last) * perNano);
            last = now;
        }
    }
}
