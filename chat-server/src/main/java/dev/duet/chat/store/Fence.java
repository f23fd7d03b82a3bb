package dev.duet.chat.store;

import org.apache.hadoop.hbase.client.Get;
import org.apache.hadoop.hbase.client.Result;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The cell that fences a couple's row ({@code s:fence}): the owner's claim, the couple's last seq and the senders'
 * {@linkplain LatestClientIds latest client ids}, in one value so that one equality check guards all three. Every
 * append writes it with the check "still exactly what I read", and every claim replaces it the same way; so after a
 * new owner's claim no append of the old one can pass its check. {@code latest} is null for a row whose ids were
 * never kept (it has messages from before they were).
 *
 * <pre>
 * incarnation:8  ringEpoch:8  generation:8  lastSeq:8  0xFF  ownerLength:2  ownerId (UTF-8)  [latest ids]
 * </pre>
 *
 * The first layout, {@code incarnation:8 ringEpoch:8 generation:8 lastSeq:8 ownerId (the rest)}, is still read: its
 * owner cannot begin with {@code 0xFF}, which is no byte of UTF-8. Its ids were a cell of their own,
 * {@code s:latest_ids}; a row's first append or claim in this layout carries them into the fence, and the old cell is
 * never read again.
 */
public record Fence(OwnerClaim claim, long lastSeq, LatestClientIds latest) {
    private static final int FIXED = 4 * Long.BYTES;
    private static final byte OWNER_LENGTH_FOLLOWS = (byte) 0xFF;
    private static final int MAX_OWNER_BYTES = 0xFFFF;

    /** A fence for a row's first claim: a row without messages has no ids to miss; one with messages may. */
    static Fence first(OwnerClaim claim, long lastSeq) {
        return new Fence(claim, lastSeq, lastSeq == 0 ? LatestClientIds.NONE : null);
    }

    byte[] toBytes() {
        byte[] owner = claim.ownerId().getBytes(StandardCharsets.UTF_8);
        if (owner.length > MAX_OWNER_BYTES) {
            throw new IllegalArgumentException("an owner id of " + owner.length + " bytes");
        }
        byte[] ids = latest == null ? new byte[0] : latest.toBytes();
        return ByteBuffer.allocate(FIXED + 1 + Short.BYTES + owner.length + ids.length)
                .putLong(claim.incarnation()).putLong(claim.ringEpoch()).putLong(claim.generation()).putLong(lastSeq)
                .put(OWNER_LENGTH_FOLLOWS).putShort((short) owner.length).put(owner).put(ids).array();
    }

    /** Adds the cells {@link #of} reads. */
    static Get addTo(Get get) {
        return get.addColumn(CoupleRow.STATE, CoupleRow.FENCE).addColumn(CoupleRow.STATE, CoupleRow.LATEST_IDS);
    }

    /** The row's fence, null when it has none; reads {@code s:latest_ids} for a fence of the first layout. */
    static Fence of(Result row) {
        byte[] value = row.getValue(CoupleRow.STATE, CoupleRow.FENCE);
        return value == null ? null : fromBytes(value, row.getValue(CoupleRow.STATE, CoupleRow.LATEST_IDS));
    }

    /** {@code legacyIds}: the row's {@code s:latest_ids} cell, null when absent; used only by the first layout. */
    static Fence fromBytes(byte[] value, byte[] legacyIds) {
        if (value.length < FIXED) {
            throw new IllegalStateException("a fence cell of " + value.length + " bytes (at least " + FIXED + ")");
        }
        ByteBuffer buffer = ByteBuffer.wrap(value);
        long incarnation = buffer.getLong();
        long epoch = buffer.getLong();
        long generation = buffer.getLong();
        long lastSeq = buffer.getLong();
        if (!buffer.hasRemaining() || buffer.get(FIXED) != OWNER_LENGTH_FOLLOWS) {
            String owner = new String(value, FIXED, value.length - FIXED, StandardCharsets.UTF_8);
            OwnerClaim claim = new OwnerClaim(incarnation, epoch, generation, owner);
            return legacyIds == null ? first(claim, lastSeq)
                    : new Fence(claim, lastSeq, LatestClientIds.fromBytes(legacyIds));
        }
        buffer.get();
        if (buffer.remaining() < Short.BYTES) {
            throw new IllegalStateException("a fence cell cut before its owner's length");
        }
        int ownerLength = Short.toUnsignedInt(buffer.getShort());
        if (ownerLength > buffer.remaining()) {
            throw new IllegalStateException("a fence owner of " + ownerLength + " bytes, " + buffer.remaining()
                    + " left");
        }
        String owner = new String(value, buffer.position(), ownerLength, StandardCharsets.UTF_8);
        buffer.position(buffer.position() + ownerLength);
        LatestClientIds latest = buffer.hasRemaining()
                ? LatestClientIds.fromBytes(Arrays.copyOfRange(value, buffer.position(), value.length)) : null;
        return new Fence(new OwnerClaim(incarnation, epoch, generation, owner), lastSeq, latest);
    }

    /** This fence after an append that stored up to {@code seq}, with the senders' ids now {@code ids}. */
    Fence after(long seq, LatestClientIds ids) {
        return new Fence(claim, seq, ids);
    }

    /** This fence's seq and ids under another claim. */
    Fence claimedBy(OwnerClaim other) {
        return new Fence(other, lastSeq, latest);
    }
}
