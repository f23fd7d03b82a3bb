package dev.duet.chat.store;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The cell that fences a couple's row ({@code s:fence}): the owner's claim and the couple's last seq, in one value so
 * that one equality check guards both. Every append writes it with the check "still exactly what I read", and every
 * claim replaces it the same way; so after a new owner's claim no append of the old owner can pass its check.
 *
 * <pre>
 * incarnation:8  ringEpoch:8  generation:8  lastSeq:8  ownerId (UTF-8, the rest)
 * </pre>
 */
public record Fence(OwnerClaim claim, long lastSeq) {
    private static final int FIXED = 4 * Long.BYTES;

    byte[] toBytes() {
        byte[] owner = claim.ownerId().getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(FIXED + owner.length).putLong(claim.incarnation()).putLong(claim.ringEpoch())
                .putLong(claim.generation()).putLong(lastSeq).put(owner).array();
    }

    static Fence fromBytes(byte[] value) {
        if (value.length < FIXED) {
            throw new IllegalStateException("a fence cell of " + value.length + " bytes (at least " + FIXED + ")");
        }
        ByteBuffer buffer = ByteBuffer.wrap(value);
        long incarnation = buffer.getLong();
        long epoch = buffer.getLong();
        long generation = buffer.getLong();
        long lastSeq = buffer.getLong();
        String owner = new String(value, FIXED, value.length - FIXED, StandardCharsets.UTF_8);
        return new Fence(new OwnerClaim(incarnation, epoch, generation, owner), lastSeq);
    }

    Fence withLastSeq(long seq) {
        return new Fence(claim, seq);
    }
}
