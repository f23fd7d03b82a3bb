package dev.duet.chat.store;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Whether HBase answers: one small read every {@code interval}, which must come back within {@code timeout}. While
 * the last one did not, the store is down: appends are answered {@code UNAVAILABLE} at once instead of waiting for
 * their deadline, and the server is not ready. Reads run on the store's threads; the schedule on {@code executor}.
 */
public final class StoreProbe implements AutoCloseable {
    private final HBaseChatStore store;
    private final Duration timeout;
    private final ScheduledFuture<?> schedule;
    private volatile boolean up = true;
    private long issued;
    private long applied;

    public StoreProbe(HBaseChatStore store, EventExecutor executor, Duration interval, Duration timeout) {
        this.store = store;
        this.timeout = timeout;
        this.schedule = executor.scheduleAtFixedRate(this::probe, interval.toMillis(), interval.toMillis(),
                TimeUnit.MILLISECONDS);
    }

    private void probe() {
        long id = ++issued;
        store.lastSeq(HBaseChatStore.PROBE_COUPLE).orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
                .whenComplete((seq, failure) -> answered(id, failure == null));
    }

    /** Probes overlap (the timeout is longer than the interval): only an answer newer than the last one counts. */
    private synchronized void answered(long id, boolean ok) {
        if (id > applied) {
            applied = id;
            up = ok;
        }
    }

    public boolean isUp() {
        return up;
    }

    @Override
    public void close() {
        schedule.cancel(false);
    }
}
