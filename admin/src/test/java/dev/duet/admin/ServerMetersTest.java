package dev.duet.admin;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import org.junit.jupiter.api.Test;

import javax.management.MBeanServer;
import javax.management.ObjectName;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ServerMetersTest {
    private final MBeanServer platform = ManagementFactory.getPlatformMBeanServer();

    private int mbeans(String pattern) throws Exception {
        return platform.queryNames(new ObjectName("dev.duet:name=" + pattern + ",*"), null).size();
    }

    @Test
    void serversInOneProcessKeepTheirMetersApartInPrometheusAndJmx() throws Exception {
        AtomicInteger sessionsOne = new AtomicInteger(3);
        AtomicInteger sessionsTwo = new AtomicInteger(5);
        try (ServerMeters one = new ServerMeters("chat-1"); ServerMeters two = new ServerMeters("chat-2")) {
            one.registry().gauge("duet.chat.sessions", sessionsOne);
            two.registry().gauge("duet.chat.sessions", sessionsTwo);
            assertTrue(one.scrape().contains("duet_chat_sessions 3.0"), one.scrape());
            assertTrue(two.scrape().contains("duet_chat_sessions 5.0"), two.scrape());
            assertEquals(1, mbeans("duetChatSessions.server.chat-1"));
            assertEquals(1, mbeans("duetChatSessions.server.chat-2"));
        }
        assertEquals(0, mbeans("duetChatSessions.*"), "closing removes the MBeans");
    }

    @Test
    void everyServerHasTheProcessMeters() throws Exception {
        try (ServerMeters meters = new ServerMeters("presenter-1")) {
            System.gc();
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (!meters.scrape().contains("jvm_gc_pause_seconds") && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            String text = meters.scrape();
            for (String name : List.of("jvm_gc_pause_seconds", "jvm_memory_used_bytes", "jvm_threads_live_threads",
                    "jvm_classes_loaded_classes", "process_cpu_usage", "process_files_open_files",
                    "process_uptime_seconds", "netty_allocator_memory_used")) {
                assertTrue(text.contains(name), name + " in\n" + text);
            }
        }
    }

    @Test
    void latencyTimersPublishTheSameBucketsFrom1MsTo10S() {
        try (ServerMeters meters = new ServerMeters("chat-1")) {
            Timer timer = LatencyBuckets.timer("duet.test.latency").register(meters.registry());
            timer.record(Duration.ofMillis(30));
            String text = meters.scrape();
            assertTrue(text.contains("duet_test_latency_seconds_bucket{le=\"0.001\"} 0"), text);
            assertTrue(text.contains("duet_test_latency_seconds_bucket{le=\"0.05\"} 1"), text);
            assertTrue(text.contains("duet_test_latency_seconds_bucket{le=\"10.0\"} 1"), text);
            assertTrue(text.contains("duet_test_latency_seconds_bucket{le=\"+Inf\"} 1"), text);
            assertFalse(text.contains("quantile="), "no client-side percentiles");
        }
    }

    @Test
    void aRemovedMeterLeavesPrometheusAndJmx() throws Exception {
        try (ServerMeters meters = new ServerMeters("presenter-1")) {
            Gauge gauge = Gauge.builder("duet.presenter.mux.connections", () -> 2).tag("chat_server", "chat-9")
                    .register(meters.registry());
            assertTrue(meters.scrape().contains("chat_server=\"chat-9\""));
            assertEquals(1, mbeans("duetPresenterMuxConnections.chat_server.chat-9.server.presenter-1"));
            meters.registry().remove(gauge);
            assertFalse(meters.scrape().contains("chat-9"), meters.scrape());
            assertEquals(0, mbeans("duetPresenterMuxConnections.*"));
        }
    }
}
