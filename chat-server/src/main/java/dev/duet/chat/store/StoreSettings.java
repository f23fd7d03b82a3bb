package dev.duet.chat.store;

import java.time.Duration;

/**
 * Where and how messages are stored.
 *
 * @param namespace        HBase namespace, created if absent
 * @param table            table in it, created if absent
 * @param operationTimeout how long one store operation may take before the client is told to retry
 * @param appendAttempts   tries of the guarded append when another writer raced us for the same couple
 */
public record StoreSettings(String namespace, String table, Duration operationTimeout, int appendAttempts) {
    public static StoreSettings defaults() {
        return new StoreSettings("duet", "couples", Duration.ofSeconds(10), 5);
    }
}
