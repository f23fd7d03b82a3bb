package dev.duet.admin;

import io.micrometer.core.instrument.Timer;

import java.time.Duration;

/**
 * The one choice of histogram buckets for every latency timer of the servers, so latencies compare across meters and
 * aggregate across servers ({@code histogram_quantile} over the Prometheus {@code _bucket} series): 1, 2, 5, 10, 20,
 * 50, 100, 200, 500 ms and 1, 2, 5, 10 s — a chat round trip is milliseconds when healthy, and a client gives up on
 * a call after 15 s. No client-side percentiles: they cannot be aggregated, and the buckets answer the same question.
 */
public final class LatencyBuckets {
    private LatencyBuckets() {
    }

    /** A timer builder for {@code name} that publishes these buckets. */
    public static Timer.Builder timer(String name) {
        return Timer.builder(name).serviceLevelObjectives(
                Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofMillis(5),
                Duration.ofMillis(10), Duration.ofMillis(20), Duration.ofMillis(50),
                Duration.ofMillis(100), Duration.ofMillis(200), Duration.ofMillis(500),
                Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(5), Duration.ofSeconds(10));
    }
}
