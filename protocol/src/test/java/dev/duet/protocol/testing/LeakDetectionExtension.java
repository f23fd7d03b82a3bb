package dev.duet.protocol.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.opentest4j.AssertionFailedError;

import java.util.ArrayList;
import java.util.List;

/**
 * Fails a test when Netty's leak detector reports a buffer that was garbage-collected without being released.
 * Registered for every test through the JUnit service loader (the build runs tests with
 * {@code -Dio.netty.leakDetection.level=PARANOID} and extension autodetection on).
 *
 * <p>The detector only notices a leak when the leaked buffer has been collected and a later allocation polls its
 * queue, so after each test this forces a few collections and allocations. A leak from a background thread that
 * outlives its test may be blamed on a later test; the report's access records say where the buffer came from.
 */
public final class LeakDetectionExtension implements AfterEachCallback {
    private static final List<String> LEAKS = new ArrayList<>();

    static {
        ByteBufUtil.setLeakListener((resourceType, records) -> {
            synchronized (LEAKS) {
                LEAKS.add(resourceType + records);
            }
        });
    }

    @Override
    public void afterEach(ExtensionContext context) throws InterruptedException {
        List<String> found = collectLeaks();
        if (!found.isEmpty()) {
            throw new AssertionFailedError(found.size() + " leaked buffer(s) after "
                    + context.getDisplayName() + ":\n" + String.join("\n", found));
        }
    }

    /** Forces collection of unreachable buffers and returns (and forgets) the leaks reported since the last call. */
    public static List<String> collectLeaks() throws InterruptedException {
        for (int round = 0; round < 3; round++) {
            System.gc();
            Thread.sleep(10);
            pollLeakQueues();
        }
        synchronized (LEAKS) {
            List<String> found = List.copyOf(LEAKS);
            LEAKS.clear();
            return found;
        }
    }

    /** Every tracked allocation makes the detector poll for collected, unreleased buffers. */
    private static void pollLeakQueues() {
        for (ByteBuf probe : List.of(PooledByteBufAllocator.DEFAULT.directBuffer(1),
                PooledByteBufAllocator.DEFAULT.heapBuffer(1), UnpooledByteBufAllocator.DEFAULT.directBuffer(1),
                UnpooledByteBufAllocator.DEFAULT.heapBuffer(1))) {
            probe.release();
        }
    }
}
