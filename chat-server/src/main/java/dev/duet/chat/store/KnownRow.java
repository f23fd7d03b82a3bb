package dev.duet.chat.store;

import java.util.List;

/**
 * What an owner knows of its couple's row after its own last write: the fence it wrote (the bytes too, for the check),
 * with the senders' latest client message ids. While the fence in HBase is still these bytes, nobody has stored a
 * message or key in the row since (every append moves the fence's lastSeq), so an append of ids all above the latest
 * ones can be written without reading the row first; otherwise its check on these bytes fails, and the append goes
 * back to reading.
 */
record KnownRow(Fence fence, byte[] fenceBytes) {

    /** True when {@code requests} of the owner {@code claim} can be planned from this alone. */
    boolean decides(OwnerClaim claim, List<AppendRequest> requests) {
        if (!fence.claim().equals(claim) || fence.latest() == null) {
            return false;
        }
        for (AppendRequest request : requests) {
            if (!fence.latest().isNew(request.senderId(), request.clientMsgId())) {
                return false;
            }
        }
        return true;
    }
}
