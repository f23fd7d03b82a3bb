package dev.duet.presenter;

import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.util.concurrent.EventExecutor;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Closes relayed clients that neither sent nor were sent anything for the idle timeout. Each event loop sweeps its own
 * clients every tenth of the timeout (at least every 100 ms, at most every 30 s), so a client is closed between one
 * timeout and a tenth more after its last byte. One sweep per loop instead of a timer handler in every connection:
 * an idle connection holds a timestamp for it (in its {@link ClientRelay}) rather than a handler, its pipeline entry
 * and a scheduled task, and nothing is rescheduled per connection. Before the route is settled the auth and route
 * timeouts stand in for it.
 */
final class IdleClients {
    private static final long MIN_SWEEP_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    private static final long MAX_SWEEP_NANOS = TimeUnit.SECONDS.toNanos(30);

    private final ChannelGroup clients;
    private final long timeoutNanos;
    private final PresenterMetrics metrics;

    IdleClients(ChannelGroup clients, Duration timeout, PresenterMetrics metrics) {
        this.clients = clients;
        this.timeoutNanos = timeout.toNanos();
        this.metrics = metrics;
    }

    /** Starts the sweeps, one on each of {@code loops}. */
    void start(EventLoopGroup loops) {
        long period = Math.max(MIN_SWEEP_NANOS, Math.min(MAX_SWEEP_NANOS, timeoutNanos / 10));
        for (EventExecutor loop : loops) {
            loop.scheduleAtFixedRate(() -> sweep(loop), period, period, TimeUnit.NANOSECONDS);
        }
    }

    /** Closes the idle clients of {@code loop}; runs on that loop. */
    void sweep(EventExecutor loop) {
        long now = System.nanoTime();
        for (Channel client : clients) {
            if (client.eventLoop() != loop) {
                continue;
            }
            ClientRelay relay = client.pipeline().get(ClientRelay.class);
            if (relay != null && relay.idleNanos(now) >= timeoutNanos) {
                metrics.limitHit("idle_timeout");
                client.close();
            }
        }
    }
}
