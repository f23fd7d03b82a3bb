package dev.duet.chat.service;

import dev.duet.admin.LatencyBuckets;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.util.concurrent.atomic.AtomicInteger;

/** The chat service's meters; docs/operations.md lists them. */
public final class ChatMetrics {
    private final MeterRegistry registry;
    private final AtomicInteger sessions = new AtomicInteger();
    private final Timer appendLatency;
    private final Counter messagesStored;
    private final Counter duplicates;
    private final Counter pushes;
    private final Counter appendTimeouts;
    private final Counter ownershipLost;
    private final Counter pushGaps;
    private final Counter refusedStoreDown;

    public ChatMetrics(MeterRegistry registry) {
        this.registry = registry;
        registry.gauge("duet.chat.sessions", sessions);
        this.appendLatency = LatencyBuckets.timer("duet.chat.append.latency")
                .description("time from a sendMessage to HBase accepting it")
                .register(registry);
        this.messagesStored = registry.counter("duet.chat.messages.stored");
        this.duplicates = registry.counter("duet.chat.messages.duplicate");
        this.pushes = registry.counter("duet.chat.pushes");
        this.appendTimeouts = registry.counter("duet.chat.append.timeouts");
        this.ownershipLost = registry.counter("duet.chat.ownership.lost");
        this.pushGaps = registry.counter("duet.chat.push.gaps");
        this.refusedStoreDown = registry.counter("duet.chat.append.refused.store_down");
    }

    void appendTimedOut() {
        appendTimeouts.increment();
    }

    void ownershipLost() {
        ownershipLost.increment();
    }

    void pushGap() {
        pushGaps.increment();
    }

    void appendRefusedStoreDown() {
        refusedStoreDown.increment();
    }

    public MeterRegistry registry() {
        return registry;
    }

    void sessionOpened() {
        sessions.incrementAndGet();
    }

    void sessionClosed() {
        sessions.decrementAndGet();
    }

    public int sessions() {
        return sessions.get();
    }

    void request(String method) {
        registry.counter("duet.chat.requests", "method", method).increment();
    }

    void requestFailed(String method, String code) {
        registry.counter("duet.chat.request.errors", "method", method, "code", code).increment();
    }

    void authFailed(String reason) {
        registry.counter("duet.chat.auth.failures", "reason", reason).increment();
    }

    void protocolError(String reason) {
        registry.counter("duet.chat.protocol.errors", "reason", reason).increment();
    }

    /** A stream handover: {@code handed_over} and {@code resumed} on success, else why it fell back. */
    void handover(String result) {
        registry.counter("duet.chat.handovers", "result", result).increment();
    }

    void sessionEnded(String reason) {
        registry.counter("duet.chat.sessions.ended", "reason", reason).increment();
    }

    Timer appendLatency() {
        return appendLatency;
    }

    void stored(int count, int duplicateCount) {
        messagesStored.increment(count);
        duplicates.increment(duplicateCount);
    }

    void pushed() {
        pushes.increment();
    }
}
