package dev.duet.chat.store;

import java.util.List;

/**
 * A couple's row as its owner knows it, from a read or from its own last write: the fence (the bytes too, for the
 * check), the last seq, and the senders' latest client message ids over every message up to it ({@code latest} null
 * when the row's ids were never kept). While the fence in HBase is still these bytes and seq {@code lastSeq + 1} is not
 * stored, nobody has stored a message or key in the row since (every append stores the next seq), so an append of ids
 * all above the latest ones can be written without reading the row first; otherwise its check fails, and the append
 * goes back to reading.
 */
record KnownRow(Fence fence, byte[] fenceBytes, long lastSeq, LatestClientIds latest) {

    /** True when {@code requests} of the owner {@code claim} can be planned from this alone. */
    boolean decides(OwnerClaim claim, List<AppendRequest> requests) {
        if (!fence.claim().equals(claim) || latest == null) {
            return false;
        }
        for (AppendRequest request : requests) {
            if (!latest.isNew(request.senderId(), request.clientMsgId())) {
                return false;
            }
        }
        return true;
    }
}
