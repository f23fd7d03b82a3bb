package dev.duet.presenter;

import io.netty.channel.Channel;
import io.netty.channel.group.ChannelGroup;
import io.netty.util.concurrent.EventExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Closes relayed clients that neither sent nor were sent anything for the idle timeout: one sweep over all clients
 * every tenth of the timeout (at least every 100 ms, at most every 30 s), so a client is closed between one timeout
 * and a tenth more after its last byte. One sweep instead of a timer handler in every connection: an idle connection
 * holds a timestamp for it (in its {@link ClientRelay}) rather than a handler, its pipeline entry and a scheduled
 * task, and nothing is rescheduled per connection. Before the route is settled the auth and route timeouts stand in
 * for it.
 */
final class IdleClients {
    private static final Logger log = LoggerFactory.getLogger(IdleClients.class);
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

    /** Starts sweeping on {@code executor}. */
    void start(EventExecutor executor) {
        long period = Math.max(MIN_SWEEP_NANOS, Math.min(MAX_SWEEP_NANOS, timeoutNanos / 10));
        executor.scheduleAtFixedRate(this::sweep, period, period, TimeUnit.NANOSECONDS);
    }

    /** Closes the clients idle for the timeout; a failure is logged, and the next sweep runs all the same. */
    void sweep() {
        try {
            long now = System.nanoTime();
            for (Channel client : clients) {
                ClientRelay relay = client.pipeline().get(ClientRelay.class);
                if (relay != null && relay.closeIfIdle(now, timeoutNanos)) {
                    metrics.limitHit("idle_timeout");
                }
            }
        } catch (RuntimeException e) {
            log.warn("a sweep for idle clients failed", e);
        }
    }
}
