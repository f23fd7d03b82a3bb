package dev.duet.chat;

import dev.duet.chat.testing.ChatCluster;
import dev.duet.chat.testing.MuxTestConnection;
import dev.duet.chat.testing.TestChatClient;
import dev.duet.protocol.client.ThriftMessage;
import dev.duet.thrift.chat.ChatService;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetric;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.netty.channel.Channel;
import io.netty.util.ResourceLeakDetector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A client that pipelines calls on its mux stream and never reads a reply costs the chat server a bounded amount of
 * memory. The test side stops granting the stream credit, so the chat server's stream turns unwritable; the chat
 * server must then stop reading (and so stop crediting the calls) and serve no call until the stream is writable
 * again, leaving about one reply (at most one 64 KiB frame) beyond the stream's high water mark. The test writes only while its own
 * stream is writable, so what the JVM holds more afterwards is the chat server's.
 *
 * <p>The leak detector is off while this measures: at {@code PARANOID} it keeps a stack trace for every access of
 * every live buffer, which would be most of what is measured.
 */
class SessionMemoryTest {
    /** A reply of a full frame, the high water marks, the inbound window, and the measurement's own noise. */
    private static final long BOUND_BYTES = 16L << 20;

    private ChatCluster cluster;
    private ChatServer server;
    private MuxTestConnection mux;

    private ResourceLeakDetector.Level leakDetection;

    @BeforeEach
    void start() throws Exception {
        leakDetection = ResourceLeakDetector.getLevel();
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
        cluster = new ChatCluster();
        server = cluster.startServer("chat-a");
        mux = MuxTestConnection.connect(cluster.clientGroup(), server.muxPort());
    }

    @AfterEach
    void stop() throws Exception {
        mux.close();
        cluster.close();
        ResourceLeakDetector.setLevel(leakDetection);
    }

    @Test
    void pipeliningPingsWithoutReadingHoldsBoundedMemory() throws Exception {
        long growth = pipelineWithoutReading(ChatCluster.newCouple(), 300_000,
                seqId -> ThriftMessage.call("ping", seqId, new ChatService.ping_args(seqId)));
        assertTrue(growth < BOUND_BYTES, "unread pings held " + growth + " bytes");
    }

    @Test
    void pipeliningHistoryFetchesWithoutReadingHoldsBoundedMemory() throws Exception {
        String couple = ChatCluster.newCouple();
        TestChatClient writer = cluster.connect(server);
        writer.authenticate(cluster.token("bob", couple, "ann"), Long.MAX_VALUE);
        for (int i = 1; i <= 16; i++) {
            writer.send("m-" + i, "é".repeat(4096));
        }
        long growth = pipelineWithoutReading(couple, 5_000,
                seqId -> ThriftMessage.call("fetchHistory", seqId, new ChatService.fetchHistory_args(0, 16)));
        assertTrue(growth < BOUND_BYTES, "unread history pages held " + growth + " bytes");
    }

    /**
     * Authenticates a stream, stops reading it, writes up to {@code calls} calls while the stream takes them (until
     * it has been unwritable for 3 s), and returns how much more memory the JVM then holds.
     */
    private long pipelineWithoutReading(String couple, int calls, IntFunction<ThriftMessage> call) throws Exception {
        MuxTestConnection.OpenedStream opened = mux.open("ann", couple, "bob", cluster.token("ann", couple, "bob"),
                Long.MAX_VALUE);
        opened.authReply().get(10, TimeUnit.SECONDS);
        Channel stream = opened.stream();
        stream.config().setAutoRead(false);
        long before = used();
        int written = 0;
        long stalledSince = System.nanoTime();
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (written < calls && System.nanoTime() - stalledSince < TimeUnit.SECONDS.toNanos(3)
                && System.nanoTime() < deadline) {
            if (stream.isWritable()) {
                for (int i = 0; i < 100 && written < calls; i++) {
                    stream.write(call.apply(2 + written++));
                }
                stream.flush();
                stalledSince = System.nanoTime();
            } else {
                Thread.sleep(10);
            }
        }
        long growth = used() - before;
        System.out.printf("{\"test\":\"session_memory\",\"calls_written\":%d,\"of\":%d,\"growth_bytes\":%d}%n",
                written, calls, growth);
        return growth;
    }

    /** Netty's buffers plus the heap after a collection: replies queued on a stream are both. */
    private static long used() {
        System.gc();
        ByteBufAllocatorMetric buffers = ((ByteBufAllocatorMetricProvider) ByteBufAllocator.DEFAULT).metric();
        return buffers.usedDirectMemory() + buffers.usedHeapMemory()
                + ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
