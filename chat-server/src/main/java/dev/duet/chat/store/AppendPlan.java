package dev.duet.chat.store;

import dev.duet.thrift.chat.Message;
import org.apache.hadoop.hbase.client.Put;
import org.apache.hadoop.hbase.client.Result;
import org.apache.hadoop.hbase.util.Bytes;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One attempt at a batch append, decided from the row as read (or as this owner {@linkplain KnownRow knows} it):
 * which requests are duplicates (the sender's client message id is stored already, or came earlier in the batch),
 * which reuse an id for another body (conflicts), which get the next sequence numbers, and the one {@code put} that
 * stores the new ones and moves the fence (its {@code lastSeq} and the senders' {@link LatestClientIds}). {@code put}
 * is null when nothing is new. {@code after} is the row once the mutation is applied, null for a row whose latest ids
 * were never kept.
 */
record AppendPlan(Put put, List<AppendResult> results, KnownRow after) {

    /**
     * {@code fence} is the row's, stored as {@code fenceBytes}; {@code current} holds the stored idempotency keys of
     * the requests (none, when the fence's latest ids prove them new).
     */
    static AppendPlan of(byte[] row, Fence fence, byte[] fenceBytes, Result current, List<AppendRequest> requests,
                         long now) {
        long lastSeq = fence.lastSeq();
        LatestClientIds ids = fence.latest();
        Map<String, AppendResult> earlierInBatch = new HashMap<>();
        List<AppendResult> results = new ArrayList<>(requests.size());
        Put put = null;
        for (AppendRequest request : requests) {
            byte[] key = CoupleRow.idempotencyKey(request.senderId(), request.clientMsgId());
            String batchKey = Bytes.toStringBinary(key);
            AppendResult earlier = earlierInBatch.get(batchKey);
            AppendResult result;
            if (earlier != null) {
                result = sameBody(earlier.message(), request) ? AppendResult.duplicateOf(earlier.message())
                        : AppendResult.conflicting();
            } else {
                byte[] stored = current.getValue(CoupleRow.IDEMPOTENCY, key);
                if (stored != null) {
                    result = Bytes.toLong(stored, 16) == CoupleRow.bodyHash(request.body())
                            ? AppendResult.duplicateOf(new Message(Bytes.toLong(stored, 0), request.senderId(),
                            request.clientMsgId(), Bytes.toLong(stored, 8), request.body()))
                            : AppendResult.conflicting();
                } else {
                    long seq = ++lastSeq;
                    Message message = new Message(seq, request.senderId(), request.clientMsgId(), now, request.body());
                    if (put == null) {
                        put = new Put(row);
                    }
                    put.addColumn(CoupleRow.MESSAGES, CoupleRow.seq(seq), HBaseChatStore.encode(message));
                    put.addColumn(CoupleRow.IDEMPOTENCY, key, CoupleRow.idempotencyValue(seq, now, request.body()));
                    ids = ids == null ? null : ids.with(request.senderId(), request.clientMsgId());
                    result = AppendResult.stored(message);
                }
                if (!result.conflict()) {
                    earlierInBatch.put(batchKey, result);
                }
            }
            results.add(result);
        }
        if (put == null) {
            return new AppendPlan(null, results, ids == null ? null : new KnownRow(fence, fenceBytes));
        }
        Fence written = fence.after(lastSeq, ids);
        byte[] writtenBytes = written.toBytes();
        put.addColumn(CoupleRow.STATE, CoupleRow.FENCE, writtenBytes);
        return new AppendPlan(put, results, ids == null ? null : new KnownRow(written, writtenBytes));
    }

    private static boolean sameBody(Message earlier, AppendRequest request) {
        return earlier.getBody().equals(request.body());
    }
}
