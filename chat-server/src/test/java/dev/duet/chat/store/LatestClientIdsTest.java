package dev.duet.chat.store;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LatestClientIdsTest {
    @Test
    void onlyIdsAboveASendersLatestAreNew() {
        LatestClientIds ids = LatestClientIds.NONE.with("ann", "0002").with("bob", "0001");
        assertTrue(ids.isNew("ann", "0003"));
        assertFalse(ids.isNew("ann", "0002"), "the latest id itself is stored");
        assertFalse(ids.isNew("ann", "0001"));
        assertFalse(ids.isNew("ann", "00019"), "byte-wise, not numerically");
        assertTrue(ids.isNew("cat", "0000"), "a sender with nothing stored");
        assertSame(ids, ids.with("ann", "0001"), "a lower id leaves the latest as it is");
    }

    @Test
    void idsAreComparedAsUtf8Bytes() {
        // U+FFFD sorts below a supplementary character in UTF-8 but above its surrogates in UTF-16.
        LatestClientIds ids = LatestClientIds.NONE.with("ann", "\uFFFD");
        assertTrue(ids.isNew("ann", "\uD83D\uDE00"));
    }

    @Test
    void survivesItsStoredForm() {
        LatestClientIds ids = LatestClientIds.fromBytes(LatestClientIds.NONE.with("ann", "a-7").with("bob", "b-3")
                .toBytes());
        assertFalse(ids.isNew("ann", "a-7"));
        assertTrue(ids.isNew("ann", "a-8"));
        assertFalse(ids.isNew("bob", "b-3"));
        assertTrue(LatestClientIds.fromBytes(LatestClientIds.NONE.toBytes()).isNew("ann", ""));
    }

    @Test
    void aCellThatIsNotOursIsRefused() {
        assertThrows(IllegalStateException.class, () -> LatestClientIds.fromBytes(
                ByteBuffer.allocate(4).putInt(1_000).array()));
        assertThrows(IllegalStateException.class, () -> LatestClientIds.fromBytes(
                ByteBuffer.allocate(8).putInt(1).putInt(100).array()));
        byte[] valid = LatestClientIds.NONE.with("ann", "a").toBytes();
        byte[] longer = ByteBuffer.allocate(valid.length + 1).put(valid).array();
        assertThrows(IllegalStateException.class, () -> LatestClientIds.fromBytes(longer));
        assertThrows(RuntimeException.class, () -> LatestClientIds.fromBytes(new byte[]{0, 0}));
    }
}
