package dev.duet.protocol.testing;

import io.netty.buffer.PooledByteBufAllocator;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LeakDetectionExtensionTest {

    @Test
    void reportsABufferCollectedWithoutRelease() throws InterruptedException {
        assertTrue(LeakDetectionExtension.collectLeaks().isEmpty());
        leakOneBuffer();
        assertFalse(LeakDetectionExtension.collectLeaks().isEmpty(), "an unreleased buffer must be reported");
    }

    private static void leakOneBuffer() {
        PooledByteBufAllocator.DEFAULT.directBuffer(16).writeLong(42);
    }
}
