package dev.duet.chat.store;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

class FenceTest {
    private static final OwnerClaim CLAIM = new OwnerClaim(7, 100, 2, "chat-a");

    /** A fence cell as the first layout wrote it: the owner id runs to the end, no ids. */
    static byte[] firstLayout(OwnerClaim claim, long lastSeq) {
        byte[] owner = claim.ownerId().getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(4 * Long.BYTES + owner.length).putLong(claim.incarnation())
                .putLong(claim.ringEpoch()).putLong(claim.generation()).putLong(lastSeq).put(owner).array();
    }

    @Test
    void aFenceReadsBackAsWrittenWithOrWithoutIds() {
        Fence withIds = new Fence(CLAIM, 41, LatestClientIds.NONE.with("ann", "a-9").with("bob", "b-3"));
        assertEquals(withIds, Fence.fromBytes(withIds.toBytes(), null));
        Fence withoutIds = new Fence(CLAIM, 41, null);
        assertEquals(withoutIds, Fence.fromBytes(withoutIds.toBytes(), null));
        Fence none = Fence.first(new OwnerClaim(1, 2, 0, "é-owner"), 0);
        assertEquals(LatestClientIds.NONE, none.latest(), "a row without messages has no ids to miss");
        assertEquals(none, Fence.fromBytes(none.toBytes(), null));
    }

    @Test
    void aFenceOfTheFirstLayoutTakesItsIdsFromTheOldCell() {
        byte[] ids = LatestClientIds.NONE.with("ann", "a-9").toBytes();
        assertEquals(new Fence(CLAIM, 41, LatestClientIds.fromBytes(ids)),
                Fence.fromBytes(firstLayout(CLAIM, 41), ids));
        Fence withoutCell = Fence.fromBytes(firstLayout(CLAIM, 41), null);
        assertEquals(CLAIM, withoutCell.claim());
        assertNull(withoutCell.latest(), "messages, and no ids: a read decides");
        assertEquals(LatestClientIds.NONE, Fence.fromBytes(firstLayout(CLAIM, 0), null).latest());
        assertEquals("", Fence.fromBytes(firstLayout(new OwnerClaim(1, 1, 0, ""), 3), null).claim().ownerId());
    }

    @Test
    void theOldCellIsIgnoredOnceTheFenceHoldsTheIds() {
        Fence current = new Fence(CLAIM, 41, LatestClientIds.NONE.with("ann", "a-9"));
        byte[] stale = LatestClientIds.NONE.with("ann", "a-1").toBytes();
        assertEquals(current, Fence.fromBytes(current.toBytes(), stale));
    }

    @Test
    void aCutOrOverlongFenceIsRefused() {
        byte[] valid = new Fence(CLAIM, 41, null).toBytes();
        assertThrows(IllegalStateException.class, () -> Fence.fromBytes(Arrays.copyOf(valid, 20), null));
        assertThrows(IllegalStateException.class, () -> Fence.fromBytes(Arrays.copyOf(valid, 34), null));
        assertThrows(IllegalStateException.class, () -> Fence.fromBytes(Arrays.copyOf(valid, valid.length - 1), null),
                "an owner cut short");
        byte[] trailing = Arrays.copyOf(new Fence(CLAIM, 41, LatestClientIds.NONE).toBytes(), valid.length + 5);
        assertThrows(IllegalStateException.class, () -> Fence.fromBytes(trailing, null));
    }
}
