package dev.duet.chat.store;

import java.time.Duration;

/**
 * Where and how messages are stored.
 *
 * @param namespace        HBase namespace, created if absent
 * @param table            table in it, created if absent
 * @param operationTimeout how long one store operation may take before the client is told to retry
 * @param appendAttempts   tries of the guarded append when another writer raced us for the same couple
 * @param probeInterval    how often {@link StoreProbe} checks that HBase answers
 * @param probeTimeout     how long one probe may take before the store counts as down
 */
public record StoreSettings(String namespace, String table, Duration operationTimeout, int appendAttempts,
                            Duration probeInterval, Duration probeTimeout) {
    public static final Duration DEFAULT_PROBE_INTERVAL = Duration.ofSeconds(1);
    public static final Duration DEFAULT_PROBE_TIMEOUT = Duration.ofSeconds(2);

    /** With the default probe. */
    public StoreSettings(String namespace, String table, Duration operationTimeout, int appendAttempts) {
        this(namespace, table, operationTimeout, appendAttempts, DEFAULT_PROBE_INTERVAL, DEFAULT_PROBE_TIMEOUT);
    }

    public static StoreSettings defaults() {
        return new StoreSettings("duet", "couples", Duration.ofSeconds(10), 5);
    }

    public StoreSettings withProbe(Duration interval, Duration timeout) {
        return new StoreSettings(namespace, table, operationTimeout, appendAttempts, interval, timeout);
    }
}
