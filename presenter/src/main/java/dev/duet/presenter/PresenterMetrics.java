package dev.duet.presenter;

import dev.duet.admin.LatencyBuckets;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** The presenter's meters; docs/operations.md lists them. */
final class PresenterMetrics {
    private final MeterRegistry registry;
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicInteger streams = new AtomicInteger();
    private final Counter bytesFromClients;
    private final Counter bytesToClients;
    private final Timer routingLatency;
    private final Timer handoverLatency;
    /** Meters every connect touches, looked up once rather than by name and tags per connect. */
    private final Counter fullHandshakes;
    private final Counter resumedHandshakes;
    private final Counter relaying;

    PresenterMetrics(MeterRegistry registry) {
        this.registry = registry;
        registry.gauge("duet.presenter.connections", connections);
        registry.gauge("duet.presenter.streams", streams);
        bytesFromClients = registry.counter("duet.presenter.bytes", "direction", "from_clients");
        bytesToClients = registry.counter("duet.presenter.bytes", "direction", "to_clients");
        routingLatency = LatencyBuckets.timer("duet.presenter.routing.latency")
                .description("time from a client's first frame to its chat server's answer, retries included")
                .register(registry);
        handoverLatency = LatencyBuckets.timer("duet.presenter.handover.latency")
                .description("time from a chat server's handover to the new owner accepting the resumed stream")
                .register(registry);
        fullHandshakes = registry.counter("duet.presenter.handshakes", "kind", "full");
        resumedHandshakes = registry.counter("duet.presenter.handshakes", "kind", "resumed");
        relaying = registry.counter("duet.presenter.routing", "result", "relaying");
    }

    int connections() {
        return connections.get();
    }

    int streams() {
        return streams.get();
    }

    void connectionOpened() {
        connections.incrementAndGet();
    }

    void connectionClosed() {
        connections.decrementAndGet();
    }

    void streamOpened() {
        streams.incrementAndGet();
    }

    void streamClosed() {
        streams.decrementAndGet();
    }

    void handshake(boolean resumed) {
        (resumed ? resumedHandshakes : fullHandshakes).increment();
    }

    /** A QUIC handshake completed (the QUIC connection's meters stay apart from TCP's). */
    void quicHandshake(boolean resumed) {
        registry.counter("duet.presenter.quic.handshakes", "kind", resumed ? "resumed" : "full").increment();
    }

    /** A QUIC client's first frame came in 0-RTT early data, before its handshake completed. */
    void quicEarlyData() {
        registry.counter("duet.presenter.quic.early_data").increment();
    }

    /** A QUIC client was asked to prove its address (a Retry) before its handshake was charged. */
    void quicRetry() {
        registry.counter("duet.presenter.quic.retries").increment();
    }

    /** A QUIC client's address changed mid-session and the connection followed it. */
    void quicMigration() {
        registry.counter("duet.presenter.quic.migrations").increment();
    }

    void handshakeFailed(String reason) {
        registry.counter("duet.presenter.handshake.failures", "reason", reason).increment();
    }

    void authFailed(String reason) {
        registry.counter("duet.presenter.auth.failures", "reason", reason).increment();
    }

    void limitHit(String limit) {
        registry.counter("duet.presenter.limits", "limit", limit).increment();
    }

    void routed(String result) {
        registry.counter("duet.presenter.routing", "result", result).increment();
    }

    /** A client's route settled: it is relayed from now on. */
    void relaying() {
        relaying.increment();
    }

    /** A client's route settled {@code nanos} after its first frame arrived. */
    void routeSettled(long nanos) {
        routingLatency.record(nanos, TimeUnit.NANOSECONDS);
    }

    /** A handover ended: {@code resumed}, or why the client was told to reconnect instead. */
    void handover(String result) {
        registry.counter("duet.presenter.handovers", "result", result).increment();
    }

    /** A handed-over session was resumed {@code nanos} after its old owner's handover arrived. */
    void handoverSettled(long nanos) {
        handoverLatency.record(nanos, TimeUnit.NANOSECONDS);
    }

    void fromClient(int bytes) {
        bytesFromClients.increment(bytes);
    }

    void toClient(int bytes) {
        bytesToClients.increment(bytes);
    }
}
