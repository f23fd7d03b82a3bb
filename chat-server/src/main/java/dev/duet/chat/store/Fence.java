package dev.duet.chat.store;

import org.apache.hadoop.hbase.client.Get;
import org.apache.hadoop.hbase.client.Result;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The cell that fences a couple's row ({@code s:fence}): the owner's claim, and a checkpoint of the row — a seq and the
 * senders' {@linkplain LatestClientIds latest client ids} among the messages up to it. Messages above the checkpoint
 * are the row's {@linkplain RowTail tail}; the owner moves the checkpoint up with one append in every few
 * ({@link AppendPlan}), so most appends write no fence. Every claim replaces the cell with the check "still exactly
 * what I read", and every append is written only if the cell still holds the bytes its writer knows; so after a new
 * owner's claim no append of the old one can pass its check. {@code latest} is null for a row whose ids were never
 * kept (it has messages from before they were).
 *
 * <pre>
 * incarnation:8  ringEpoch:8  generation:8  checkpoint:8  0xFF  0xFFFF  ownerLength:2  ownerId (UTF-8)  [latest ids]
 * </pre>
 *
 * Earlier layouts are still read. The second, without the {@code 0xFFFF}, held the row's last seq itself (each append
 * rewrote it), which is a checkpoint with an empty tail. Versions that wrote it read an owner length of 0xFFFF in the
 * current layout, longer than the cell, and refuse the row: they would take the checkpoint for the last seq and
 * overwrite the tail, so they must fail rather than append. The first layout,
 * {@code incarnation:8 ringEpoch:8 generation:8 lastSeq:8 ownerId (the rest)}, is told apart by its owner, which
 * cannot begin with {@code 0xFF} (no byte of UTF-8); its ids were a cell of their own, {@code s:latest_ids}, which is
 * read only with it.
 */
public record Fence(OwnerClaim claim, long checkpoint, LatestClientIds latest) {
    private static final int FIXED = 4 * Long.BYTES;
    private static final byte OWNER_LENGTH_FOLLOWS = (byte) 0xFF;
    /** In the owner length's place: the current layout, whose owner length follows. */
    private static final short CHECKPOINT_LAYOUT = (short) 0xFFFF;
    private static final int MAX_OWNER_BYTES = 0xFFFE;

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
        return ByteBuffer.allocate(FIXED + 1 + 2 * Short.BYTES + owner.length + ids.length)
                .putLong(claim.incarnation()).putLong(claim.ringEpoch()).putLong(claim.generation())
                .putLong(checkpoint).put(OWNER_LENGTH_FOLLOWS).putShort(CHECKPOINT_LAYOUT)
                .putShort((short) owner.length).put(owner).put(ids).array();
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
        long checkpoint = buffer.getLong();
        if (!buffer.hasRemaining() || buffer.get(FIXED) != OWNER_LENGTH_FOLLOWS) {
            String owner = new String(value, FIXED, value.length - FIXED, StandardCharsets.UTF_8);
            OwnerClaim claim = new OwnerClaim(incarnation, epoch, generation, owner);
            return legacyIds == null ? first(claim, checkpoint)
                    : new Fence(claim, checkpoint, LatestClientIds.fromBytes(legacyIds));
        }
        buffer.get();
        int ownerLength = ownerLength(buffer);
        if (ownerLength == Short.toUnsignedInt(CHECKPOINT_LAYOUT)) {
            ownerLength = ownerLength(buffer);
        }
        if (ownerLength > buffer.remaining()) {
            throw new IllegalStateException("a fence owner of " + ownerLength + " bytes, " + buffer.remaining()
                    + " left");
        }
        String owner = new String(value, buffer.position(), ownerLength, StandardCharsets.UTF_8);
        buffer.position(buffer.position() + ownerLength);
        LatestClientIds latest = buffer.hasRemaining()
                ? LatestClientIds.fromBytes(Arrays.copyOfRange(value, buffer.position(), value.length)) : null;
        return new Fence(new OwnerClaim(incarnation, epoch, generation, owner), checkpoint, latest);
    }

    private static int ownerLength(ByteBuffer buffer) {
        if (buffer.remaining() < Short.BYTES) {
            throw new IllegalStateException("a fence cell cut before its owner's length");
        }
        return Short.toUnsignedInt(buffer.getShort());
    }

    /** This fence checkpointed at {@code seq}, the senders' ids up to it being {@code ids}. */
    Fence checkpointedAt(long seq, LatestClientIds ids) {
        return new Fence(claim, seq, ids);
    }

    /** This fence's checkpoint under another claim. */
    Fence claimedBy(OwnerClaim other) {
        return new Fence(other, checkpoint, latest);
    }
}
