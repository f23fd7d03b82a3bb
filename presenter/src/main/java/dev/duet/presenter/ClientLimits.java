package dev.duet.presenter;

import java.net.InetAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The client limits of one presenter, over both transports (TCP and QUIC): connections in total and per source
 * address, and new handshakes per second, in total and per source address (token buckets with a burst of one second's
 * worth). A reconnect storm or one noisy address cannot take the presenter's CPU or file descriptors. Each refusal is
 * named by the limit it hit, for {@link PresenterMetrics#limitHit}; nothing is logged per connection.
 */
final class ClientLimits {
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

    ClientLimits(PresenterConfig config, PresenterMetrics metrics) {
        this.config = config;
        this.metrics = metrics;
        this.handshakes = new HandshakeBucket(config.handshakesPerSecond());
    }

    /**
     * Counts a new connection from {@code address}; returns the limit it is over, or null. Counted either way: the
     * connection's close gives it back through {@link #closed}.
     */
    String opened(InetAddress address) {
        metrics.connectionOpened();
        int count = total.incrementAndGet();
        int[] fromAddress = new int[1];
        // Counted inside compute: a sweep or a close elsewhere cannot drop the source between lookup and count.
        sources.compute(address, (a, source) -> {
            Source counted = source != null ? source : new Source(config.handshakesPerSecondPerAddress());
            fromAddress[0] = counted.connections.incrementAndGet();
            return counted;
        });
        if (count > config.maxConnections()) {
            return "max_connections";
        } else if (fromAddress[0] > config.maxConnectionsPerAddress()) {
            return "max_connections_per_address";
        }
        return null;
    }

    /**
     * Charges a handshake from {@code address}, counted by {@link #opened}; returns the limit it is over, or null.
     * Both buckets are asked in turn: a source over its own rate takes nothing from the shared one.
     */
    String handshake(InetAddress address) {
        if (!source(address).handshakes.tryAcquire()) {
            return "handshake_rate_per_address";
        }
        if (!handshakes.tryAcquire()) {
            return "handshake_rate";
        }
        return null;
    }

    /**
     * Whether a handshake from {@code address} should prove its address first (a QUIC Retry): when the shared bucket
     * is down to half, or the address's own is empty. A spoofed source then costs one stateless packet.
     */
    boolean underLoad(InetAddress address) {
        Source source = sources.get(address);
        return handshakes.isBelowHalf() || (source != null && source.handshakes.isEmpty());
    }

    /** A connection counted by {@link #opened} closed. */
    void closed(InetAddress address) {
        metrics.connectionClosed();
        total.decrementAndGet();
        sources.computeIfPresent(address, (a, source) -> {
            // Kept while its bucket is still refilling, so closing connections does not reset an address's rate.
            return source.connections.decrementAndGet() == 0 && source.handshakes.isFull() ? null : source;
        });
    }

    /** A counted connection's source: present until the connection closes. */
    private Source source(InetAddress address) {
        return sources.computeIfAbsent(address, a -> new Source(config.handshakesPerSecondPerAddress()));
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

    /** New handshakes allowed per second, with a burst of one second's worth. */
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

        synchronized boolean isBelowHalf() {
            refill();
            return tokens < capacity / 2;
        }

        synchronized boolean isEmpty() {
            refill();
            return tokens < 1;
        }

        private void refill() {
            long now = System.nanoTime();
            tokens = Math.min(capacity, tokens + (now - last) * perNano);
            last = now;
        }
    }
}
